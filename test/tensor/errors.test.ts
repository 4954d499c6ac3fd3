// GPU-side failures surface as thrown errors that name the op and shapes, not as console noise.
import { AdapterLimitError, deviceInfo, getDevice, GPUOpError, memoryStats, tensor, Tensor, zeros } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getEngine } from '../../packages/tensor/src/engine.ts';

test.before(async () => { await getDevice(); });

test('a WebGPU validation error is thrown at the next sync, naming the op and its shapes', async () => {
  const x = tensor([1, 2, 3], [3]);
  // A kernel bound with a missing buffer: WebGPU rejects the bind group.
  getEngine().dispatch({
    label: 'brokenOp tensor [3]', key: 'test:broken',
    source: () => '@group(0) @binding(0) var<storage, read> a: array<f32>; @group(0) @binding(1) var<storage, read_write> b: array<f32>;\n@compute @workgroup_size(1) fn main() { b[0] = a[0]; }',
    buffers: [x.buffer], workgroups: [1, 1, 1],
  });
  let caught: unknown = null;
  try { await x.toArray(); } catch (e) { caught = e; }
  assert.instance(caught, GPUOpError);
  assert.match(String((caught as Error).message), /brokenOp tensor \[3\]/);
  // The library keeps working afterwards.
  assert.equal(Array.from(await tensor([1], [1]).add(1).toArray()), [2]);
});

test('a tensor past the adapter\'s binding limit is refused at once, in one line naming its shape and the limit', async () => {
  const { limits } = await deviceInfo();
  const floats = limits.maxStorageBufferBindingSize / 4 + 1;
  const held = memoryStats().bytesHeld;
  let caught: unknown = null;
  try { zeros([floats]); } catch (e) { caught = e; }
  assert.instance(caught, AdapterLimitError);
  const message = (caught as Error).message;
  assert.ok(message.includes(`[${floats}]`) && message.includes('maxStorageBufferBindingSize'), message);
  assert.not.match(message, /\n/);
  // Nothing was allocated, and the library goes on.
  assert.is(memoryStats().bytesHeld, held);
  assert.equal(Array.from(await tensor([1], [1]).add(1).toArray()), [2]);
});

test('shape errors are thrown at once with the shapes', () => {
  assert.throws(() => tensor([1, 2, 3, 4], [2, 2]).matmul(tensor([1, 2, 3], [3, 1])), /matmul: tensor \[2, 2\] @ tensor \[3, 1\]: inner dimensions 2 and 3 differ/);
  assert.throws(() => tensor([1, 2, 3], [2, 2]), /3 values do not fill shape \[2, 2\]/);
  assert.throws(() => tensor([1, 2], [2]).sum(3), /axis 3 is out of range for a tensor of rank 1/);
});

test('item() on a non-scalar names the tensor', async () => {
  const t = tensor([1, 2], [2]);
  t.name = 'logits';
  let msg = '';
  try { await t.item(); } catch (e) { msg = (e as Error).message; }
  assert.match(msg, /tensor 'logits' \[2\] has 2 elements/);
  assert.instance(Tensor.empty([1]), Tensor);
});

test.run();
