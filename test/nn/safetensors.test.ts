// safetensors: round trips through bytes, the dtype conversions, and an error naming the problem
// for every kind of malformed or truncated buffer (never a read past the end).
import { getDevice, tensor } from '@drgrade/tensor';
import { decodeSafetensors, encodeSafetensors, encodeSafetensorsHost, loadSafetensors, loadSafetensorsMetadata, SafetensorsError } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readRepoFile } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

/** A safetensors buffer from a raw header object and data bytes (for malformed files). */
function build(header: unknown, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('tensors and metadata round-trip through bytes, in order, float32 and int32', async () => {
  const a = tensor([1.5, -2, 3.25, 4, 5, 6], [2, 3]);
  const b = tensor(Int32Array.from([7, -8, 2147483647]), [3]);
  const s = tensor([42], []);
  const bytes = await encodeSafetensors(new Map([['layer.weight', a], ['layer.count', b], ['scalar', s]]), { format: 'pt' });
  assert.is(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0, 'header padded to 8 bytes');
  const loaded = await loadSafetensors(bytes);
  assert.equal([...loaded.keys()], ['layer.weight', 'layer.count', 'scalar']);
  assert.equal([...loaded.get('layer.weight')!.shape], [2, 3]);
  assert.equal(Array.from(await loaded.get('layer.weight')!.toArray()), [1.5, -2, 3.25, 4, 5, 6]);
  assert.is(loaded.get('layer.count')!.dtype, 'int32');
  assert.equal(Array.from(await loaded.get('layer.count')!.toArray()), [7, -8, 2147483647]);
  assert.equal([...loaded.get('scalar')!.shape], []);
  assert.is(loaded.get('layer.weight')!.name, 'layer.weight');
  assert.equal(await loadSafetensorsMetadata(bytes.buffer as ArrayBuffer), { format: 'pt' });
  for (const t of [a, b, s, ...loaded.values()]) t.dispose();
});

test('F16, BF16 and F64 become float32; I64, I16, I8, U8 and BOOL become int32', () => {
  const f16 = new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00]); // 1, -2, 0.33325, 2^-24, inf
  const bf16 = new Uint16Array([0x3f80, 0xc040]); // 1, -3
  const f64 = new Float64Array([Math.PI, -1e-3]);
  const i64 = new BigInt64Array([5n, -6n]);
  const i16 = new Int16Array([-300, 300]);
  const i8 = new Int8Array([-5, 5]);
  const u8 = new Uint8Array([250, 1]);
  const parts: [string, string, number[], ArrayBufferView][] = [
    ['h', 'F16', [5], f16], ['b', 'BF16', [2], bf16], ['d', 'F64', [2], f64], ['l', 'I64', [2], i64],
    ['s', 'I16', [2], i16], ['c', 'I8', [2], i8], ['u', 'U8', [2], u8], ['q', 'BOOL', [2], new Uint8Array([1, 0])],
  ];
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [k, dtype, shape, arr] of parts) {
    header[k] = { dtype, shape, data_offsets: [offset, offset + arr.byteLength] };
    chunks.push(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    offset += arr.byteLength;
  }
  const data = new Uint8Array(offset);
  let p = 0;
  for (const c of chunks) { data.set(c, p); p += c.length; }
  const { tensors } = decodeSafetensors(build(header, data));
  assert.equal(Array.from(tensors.get('h')!.data), [1, -2, Math.fround(0.333251953125), 2 ** -24, Infinity]);
  assert.equal(Array.from(tensors.get('b')!.data), [1, -3]);
  assert.equal(Array.from(tensors.get('d')!.data), [Math.fround(Math.PI), Math.fround(-1e-3)]);
  assert.ok(tensors.get('l')!.data instanceof Int32Array);
  assert.equal(Array.from(tensors.get('l')!.data), [5, -6]);
  assert.equal(Array.from(tensors.get('s')!.data), [-300, 300]);
  assert.equal(Array.from(tensors.get('c')!.data), [-5, 5]);
  assert.equal(Array.from(tensors.get('u')!.data), [250, 1]);
  assert.equal(Array.from(tensors.get('q')!.data), [1, 0]);
  assert.is(tensors.get('l')!.sourceDtype, 'I64');
});

test('malformed and truncated buffers give an error naming the source and the problem', () => {
  const four = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
  const good = { w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } };
  const cases: [string, Uint8Array, RegExp][] = [
    ['shorter than the length field', new Uint8Array(5), /shorter than the 8-byte header length/],
    ['header length past the end', build(good, four, 1n << 40n), /header length 1099511627776 exceeds the \d+ bytes/],
    ['header length over 2^53', build(good, four, 1n << 62n), /exceeds the \d+ bytes/],
    ['not JSON', build('{"w": [', four), /header is not valid JSON/],
    ['not an object', build('[1, 2]', four), /does not start with a JSON object/],
    ['unsupported dtype', build({ w: { dtype: 'C64', shape: [2], data_offsets: [0, 16] } }, four), /tensor 'w' has unsupported dtype "C64"/],
    ['bad shape', build({ w: { dtype: 'F32', shape: [-1, 4], data_offsets: [0, 16] } }, four), /tensor 'w' has an invalid shape/],
    ['bad offsets', build({ w: { dtype: 'F32', shape: [4], data_offsets: [0] } }, four), /tensor 'w' has invalid data_offsets/],
    ['reversed offsets', build({ w: { dtype: 'F32', shape: [0], data_offsets: [16, 0] } }, four), /end before they start/],
    ['data past the end', build({ w: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }, four), /tensor 'w' ends at byte 32 .* only 16 bytes follow the header \(truncated file\)/],
    ['size mismatch', build({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, four), /tensor 'w' has 16 bytes, but shape \[3\] of F32 needs 12/],
    ['overlap', build({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, four), /overlaps the data of another tensor/],
    ['gap', build({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, four), /bytes 4–8 of the data section belong to no tensor/],
    ['trailing bytes', build({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, four), /data section has 16 bytes but the tensors cover 8/],
    ['metadata not strings', build({ __metadata__: { epoch: 3 }, ...good }, four), /__metadata__.epoch must be a string/],
    ['I64 beyond int32', build({ l: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, new Uint8Array(new BigInt64Array([1n, 1n << 40n]).buffer)), /tensor 'l' \(I64\) holds 1099511627776 at element 1, outside the int32 range/],
  ];
  for (const [what, bytes, pattern] of cases) {
    try {
      decodeSafetensors(bytes, 'weights.safetensors');
      assert.unreachable(`${what}: no error`);
    } catch (e) {
      assert.instance(e, SafetensorsError, `${what}: ${(e as Error).message}`);
      assert.match((e as Error).message, /^weights\.safetensors: /, what);
      assert.match((e as Error).message, pattern, what);
    }
  }
  // Every prefix of a valid file is rejected cleanly.
  const valid = encodeSafetensorsHost(new Map([['w', { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }]]));
  for (let n = 0; n < valid.length; n++) assert.throws(() => decodeSafetensors(valid.subarray(0, n)), (e: Error) => e instanceof SafetensorsError, `prefix of ${n} bytes`);
  assert.equal(Array.from(decodeSafetensors(valid).tensors.get('w')!.data), [1, 2, 3, 4]);
});

test('reads a file written by the PyTorch fixture script (F32 and I64)', async () => {
  const bytes = await readRepoFile('test/fixtures/data/nn_densenet.safetensors');
  const { tensors } = decodeSafetensors(bytes, 'nn_densenet.safetensors');
  const nbt = tensors.get('state/features.norm0.num_batches_tracked')!;
  assert.is(nbt.sourceDtype, 'I64');
  assert.equal([...nbt.data], [7]);
  assert.equal(tensors.get('state/features.conv0.weight')!.shape, [16, 3, 7, 7]);
});

test.run();
