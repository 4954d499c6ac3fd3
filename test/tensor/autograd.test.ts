// Autograd mechanics: accumulation, explicit upstream gradients, noGrad, detach, shared subgraphs,
// and the memory backward holds (each gradient freed once spent).
import { full, getDevice, memoryStats, noGrad, resetPeakMemory, tensor, tidy } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

test('gradients accumulate across backward calls until cleared', async () => {
  const x = tensor([1, 2, 3], [3], { requiresGrad: true });
  x.mul(x).sum().backward();
  x.mul(3).sum().backward();
  assert.equal(Array.from(await x.grad!.toArray()), [5, 7, 9]);
  x.grad!.dispose();
  x.grad = null;
  x.sum().backward();
  assert.equal(Array.from(await x.grad!.toArray()), [1, 1, 1]);
});

test('backward with an explicit upstream gradient', async () => {
  const x = tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
  const y = x.mul(x);
  y.backward(tensor([1, 0, 0, 2], [2, 2]));
  assert.equal(Array.from(await x.grad!.toArray()), [2, 0, 0, 16]);
  assert.throws(() => x.mul(2).backward(), /not a scalar; pass the upstream gradient/);
});

test('a value used twice (diamond graph) gets both contributions', async () => {
  const x = tensor([2], [1], { requiresGrad: true });
  const a = x.mul(3);
  const y = a.mul(a).add(a); // 9x² + 3x → 18x + 3
  y.sum().backward();
  assert.equal(Array.from(await x.grad!.toArray()), [39]);
});

test('noGrad records nothing and detach cuts the graph', async () => {
  const x = tensor([1, 2], [2], { requiresGrad: true });
  const y = noGrad(() => x.mul(2));
  assert.is(y.requiresGrad, false);
  const z = x.detach().mul(x);
  z.sum().backward();
  assert.equal(Array.from(await x.grad!.toArray()), [1, 2]);
  assert.throws(() => y.sum().backward(), /does not require grad/);
});

test('using a tensor disposed by tidy gives a clear error', async () => {
  const x = tensor([1, 2], [2], { requiresGrad: true });
  const y = tidy(() => x.exp().sum());
  assert.throws(() => y.backward(), /was disposed before backward/);
  const dead = tidy(() => { const t = x.mul(2); t.dispose(); return t; });
  assert.throws(() => dead.add(1), /used after dispose/);
});

test('a small MLP: gradients match a float64 hand derivation', async () => {
  const xv = [0.5, -1.0, 2.0], w1 = [0.1, -0.2, 0.3, 0.4, 0.5, -0.6], w2 = [0.7, -0.8];
  const x = tensor(xv, [1, 3]);
  const W1 = tensor(w1, [3, 2], { requiresGrad: true });
  const W2 = tensor(w2, [2, 1], { requiresGrad: true });
  const h = x.matmul(W1).tanh();
  const y = h.matmul(W2).sum();
  y.backward();
  const pre = [0, 1].map((j) => xv.reduce((s, v, i) => s + v * w1[i * 2 + j]!, 0));
  const hv = pre.map(Math.tanh);
  const gW2 = hv;
  const gW1 = xv.flatMap((v) => [0, 1].map((j) => v * w2[j]! * (1 - hv[j]! ** 2)));
  assertClose(await W2.grad!.toArray(), gW2, { rtol: 1e-5 });
  assertClose(await W1.grad!.toArray(), gW1, { rtol: 1e-5 });
  assertClose([await y.item()], [hv[0]! * w2[0]! + hv[1]! * w2[1]!], { rtol: 1e-6 });
});

test('backward frees each gradient once it is spent: a 32-op chain holds a few gradients at a time, not 32', async () => {
  const elements = 1 << 18; // 1 MiB of float32
  const x = full([elements], 1, { requiresGrad: true });
  tidy(() => {
    let y = x;
    // mul's rule makes a new gradient; add's hands its gradient on as it is.
    for (let i = 0; i < 16; i++) y = y.mul(1.01).add(0.5);
    const loss = y.sum();
    const afterForward = memoryStats().bytesInUse;
    resetPeakMemory();
    loss.backward();
    const extra = memoryStats().peakBytesInUse - afterForward;
    assert.ok(extra <= 4 * 4 * elements, `backward held ${(extra / 4 / elements).toFixed(1)} MiB beyond the forward's tensors`);
  });
  assertClose(await x.grad!.toArray(), new Float32Array(elements).fill(1.01 ** 16), { rtol: 1e-5 });
  x.grad!.dispose();
  x.dispose();
});

test('the caller\'s upstream gradient and a gradient handed to two inputs survive backward', async () => {
  const x = tensor([1, 2], [2], { requiresGrad: true });
  const upstream = tensor([3, 5], [2]);
  tidy(() => x.add(x).backward(upstream));
  assert.equal(Array.from(await upstream.toArray()), [3, 5]);
  assert.equal(Array.from(await x.grad!.toArray()), [6, 10]);
  [x, upstream].forEach((t) => { t.grad?.dispose(); t.dispose(); });
});

test.run();
