// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__?}, then the raw
// little-endian data. Decoding checks every field against the buffer before touching data, so a
// malformed or truncated file gives an error naming the file and the problem, never a read past
// the end. Works on CPU arrays only; weights.ts moves tensors to and from the device.

/** A decoded tensor: float types become Float32Array, integer and bool types Int32Array. */
export interface HostTensor {
  shape: number[];
  data: Float32Array | Int32Array;
  /** The dtype stored in the file (F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL). */
  sourceDtype: string;
}

export interface DecodedSafetensors {
  tensors: Map<string, HostTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Refuses headers beyond this size, as the reference implementation does (100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Converts `count` elements of `dtype` starting at `offset` (bounds already checked). */
function convert(view: DataView, offset: number, count: number, dtype: string, key: string, source: string): Float32Array | Int32Array {
  if (LITTLE_ENDIAN && (dtype === 'F32' || dtype === 'I32')) {
    // The file's byte order is the host's: one copy (which also aligns the data) instead of a loop.
    const copy = view.buffer.slice(view.byteOffset + offset, view.byteOffset + offset + 4 * count);
    return dtype === 'F32' ? new Float32Array(copy) : new Int32Array(copy);
  }
  switch (dtype) {
    case 'F32': { const out = new Float32Array(count); for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, true); return out; }
    case 'F64': { const out = new Float32Array(count); for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, true); return out; }
    case 'F16': { const out = new Float32Array(count); for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(offset + 2 * i, true)); return out; }
    case 'BF16': {
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(offset + 2 * i, true) << 16;
      return out;
    }
    case 'I64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(offset + 8 * i, true);
        if (v > 2147483647n || v < -2147483648n) throw new SafetensorsError(`${source}: tensor '${key}' (I64) holds ${v} at element ${i}, outside the int32 range it is converted to`);
        out[i] = Number(v);
      }
      return out;
    }
    case 'I32': { const out = new Int32Array(count); for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, true); return out; }
    case 'I16': { const out = new Int32Array(count); for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, true); return out; }
    case 'I8': { const out = new Int32Array(count); for (let i = 0; i < count; i++) out[i] = view.getInt8(offset + i); return out; }
    case 'U8':
    case 'BOOL': { const out = new Int32Array(count); for (let i = 0; i < count; i++) out[i] = view.getUint8(offset + i); return out; }
    default: throw new SafetensorsError(`${source}: tensor '${key}' has unsupported dtype ${dtype}`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses a safetensors buffer. `source` (a file name or 'bytes') prefixes every error message.
 * Besides bounds, checks what the format requires: known dtypes, integer shapes, byte ranges that
 * match shape × dtype size and cover the data section exactly, without overlaps or gaps.
 */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors bytes'): DecodedSafetensors {
  const fail = (msg: string): never => { throw new SafetensorsError(`${source}: ${msg}`); };
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, shorter than the 8-byte header length (truncated or not safetensors)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(bytes.byteLength - 8)) fail(`header length ${headerLen64} exceeds the ${bytes.byteLength - 8} bytes after the length field (truncated or not safetensors)`);
  const headerLen = Number(headerLen64);
  if (headerLen > MAX_HEADER_BYTES) fail(`header of ${headerLen} bytes exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (headerLen < 2) fail(`header of ${headerLen} bytes cannot hold a JSON object`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    return fail('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail('header does not start with a JSON object');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(header)) return fail('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataBytes = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { key: string; dtype: string; shape: number[]; start: number; end: number }[] = [];
  for (const [key, info] of Object.entries(header)) {
    if (key === '__metadata__') {
      if (!isRecord(info)) fail('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} must be a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    if (!isRecord(info)) return fail(`entry '${key}' is not an object`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(`tensor '${key}' has unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor '${key}' has an invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor '${key}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [start, end] = offsets as [number, number];
    if (start > end) fail(`tensor '${key}' has data_offsets [${start}, ${end}] that end before they start`);
    if (end > dataBytes) fail(`tensor '${key}' ends at byte ${end} of the data section, but only ${dataBytes} bytes follow the header (truncated file)`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = count * DTYPE_BYTES[dtype as string]!;
    if (end - start !== expected) fail(`tensor '${key}' has ${end - start} bytes, but shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${expected}`);
    entries.push({ key, dtype: dtype as string, shape: shape as number[], start, end });
  }
  const sorted = [...entries].sort((a, b) => a.start - b.start || a.end - b.end);
  let covered = 0;
  for (const e of sorted) {
    if (e.start < covered) fail(`tensor '${e.key}' overlaps the data of another tensor (bytes ${e.start}–${e.end})`);
    if (e.start > covered) fail(`bytes ${covered}–${e.start} of the data section belong to no tensor`);
    covered = e.end;
  }
  if (covered !== dataBytes) fail(`the data section has ${dataBytes} bytes but the tensors cover ${covered} (extra bytes at the end)`);
  const tensors = new Map<string, HostTensor>();
  for (const e of entries) {
    const count = e.shape.reduce((a, b) => a * b, 1);
    tensors.set(e.key, { shape: e.shape, data: convert(view, dataStart + e.start, count, e.dtype, e.key, source), sourceDtype: e.dtype });
  }
  return { tensors, metadata };
}

/** Tensors to store: float32 data is written as F32, int32 data as I32. */
export interface HostEntry {
  shape: readonly number[];
  data: Float32Array | Int32Array;
}

/** Encodes tensors (in the map's order) and string metadata as a safetensors buffer. */
export function encodeSafetensorsHost(entries: Map<string, HostEntry>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [key, t] of entries) {
    if (key === '__metadata__') throw new SafetensorsError("encodeSafetensors: '__metadata__' is reserved and cannot name a tensor");
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new SafetensorsError(`encodeSafetensors: tensor '${key}' has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    header[key] = { dtype: t.data instanceof Int32Array ? 'I32' : 'F32', shape: [...t.shape], data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pads the header with spaces to a multiple of 8 bytes so the data that follows is aligned
  // (the reference writer does the same).
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let pos = 8 + json.byteLength;
  for (const t of entries.values()) {
    const src = t.data;
    if (LITTLE_ENDIAN) out.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), pos);
    else if (src instanceof Float32Array) for (let i = 0; i < src.length; i++) view.setFloat32(pos + 4 * i, src[i]!, true);
    else for (let i = 0; i < src.length; i++) view.setInt32(pos + 4 * i, src[i]!, true);
    pos += 4 * src.length;
  }
  return out;
}
