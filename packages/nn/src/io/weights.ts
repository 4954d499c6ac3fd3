// Weight files: safetensors to and from device tensors, from a path (Node's file system, or a
// URL fetched in a browser) or from bytes. Node's modules are imported only when used, so the
// same bundle runs in browsers.
import type { Tensor } from '@drgrade/tensor';
import { deviceTensors, groupShards } from '../row-shards.ts';
import { decodeSafetensors, encodeSafetensorsHost, SafetensorsError, type HostEntry } from './safetensors.ts';

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string'
  && typeof (globalThis as { window?: unknown }).window === 'undefined';

async function readSource(pathOrBytes: string | Uint8Array | ArrayBuffer): Promise<[Uint8Array, string]> {
  if (pathOrBytes instanceof Uint8Array) return [pathOrBytes, 'safetensors bytes'];
  if (pathOrBytes instanceof ArrayBuffer) return [new Uint8Array(pathOrBytes), 'safetensors bytes'];
  const path = pathOrBytes;
  if (isNode) {
    const fs = await import('node:fs/promises');
    try {
      return [new Uint8Array(await fs.readFile(path)), path];
    } catch (e) {
      throw new SafetensorsError(`${path}: cannot read the file (${(e as Error).message})`);
    }
  }
  const res = await fetch(path).catch((e: Error) => { throw new SafetensorsError(`${path}: fetch failed (${e.message})`); });
  if (!res.ok) throw new SafetensorsError(`${path}: fetch answered ${res.status} ${res.statusText}`);
  return [new Uint8Array(await res.arrayBuffer()), path];
}

/**
 * Reads a safetensors file (a path in Node, a URL in a browser, or the bytes) into device tensors
 * by name, in the file's order. F16, BF16 and F64 become float32; I64, I32, I16, I8, U8 and BOOL
 * become int32 (I64 values outside int32 are an error). A tensor larger than one kernel may bind
 * comes as its row shards `name:0`, `name:1`, ... (row-shards.ts), as a module on this device holds
 * it. The caller owns the tensors.
 */
export async function loadSafetensors(pathOrBytes: string | Uint8Array | ArrayBuffer): Promise<Map<string, Tensor>> {
  const [bytes, source] = await readSource(pathOrBytes);
  const { tensors } = decodeSafetensors(bytes, source);
  const out = new Map<string, Tensor>();
  for (const [key, t] of tensors) for (const [name, part] of deviceTensors(key, t.data, t.shape)) out.set(name, part);
  return out;
}

/** The string metadata (`__metadata__`) of a safetensors file or buffer. */
export async function loadSafetensorsMetadata(pathOrBytes: string | Uint8Array | ArrayBuffer): Promise<Record<string, string>> {
  const [bytes, source] = await readSource(pathOrBytes);
  return decodeSafetensors(bytes, source).metadata;
}

/**
 * Encodes tensors (float32 → F32, int32 → I32) and string metadata as safetensors bytes (works in
 * browsers). Row shards `name:0`, `name:1`, ... are written as the one tensor `name`.
 */
export async function encodeSafetensors(dict: Map<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const entries = dict instanceof Map ? [...dict] : Object.entries(dict);
  const host = new Map<string, HostEntry>();
  for (const [key, { shape, parts }] of groupShards(entries, (t) => t.shape)) {
    if (parts.length === 1) { host.set(key, { shape: parts[0]!.value.shape, data: await parts[0]!.value.toArray() }); continue; }
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    let at = 0;
    for (const { value } of parts) {
      const block = await value.toArray();
      data.set(block, at);
      at += block.length;
    }
    host.set(key, { shape, data });
  }
  return encodeSafetensorsHost(host, metadata);
}

/**
 * Writes tensors to a safetensors file in Node. The bytes go to a temporary file beside `path`,
 * are flushed to disk, and the file is renamed over `path`, so a crash never leaves a partial file.
 */
export async function saveSafetensors(path: string, dict: Map<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): Promise<void> {
  if (!isNode) throw new SafetensorsError(`saveSafetensors(${path}): file paths need Node; in a browser use encodeSafetensors() and save the bytes`);
  const bytes = await encodeSafetensors(dict, metadata);
  const fs = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  await fs.mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${Date.now()}.partial`;
  try {
    const handle = await fs.open(temp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, path);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw new SafetensorsError(`${path}: cannot write the file (${(e as Error).message})`);
  }
}
