// checkpoint: the same values and gradients as running the function directly, finite differences,
// batch norm's running statistics updated once, and the function's intermediates not kept.
import { batchNorm, checkpoint, full, getDevice, memoryStats, tensor, tidy, type Tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, gradcheck, randomArray } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

const n = 2, c = 3, h = 4, w = 4;
const shape = [n, c, h, w];

test('a checkpointed function (batch norm, products, tanh) matches finite differences', async () => {
  const [rm, rv] = [full([c], 0), full([c], 1)];
  const scale = tensor(randomArray(c, 401, 0.5, 1.5), [c], { requiresGrad: true });
  await gradcheck((x: Tensor, y: Tensor) => checkpoint((a, b) => batchNorm(a, rm, rv, scale, null, { training: true }).mul(b).tanh().mul(a), [x, y], [scale]),
    [{ data: randomArray(n * c * h * w, 402, -2, 2), shape }, { data: randomArray(n * c * h * w, 403), shape }], { label: 'checkpoint' });
  [rm, rv, scale].forEach((t) => t.dispose());
});

test('checkpoint gives the values, input and parameter gradients and running statistics of the direct call, keeping less', async () => {
  const xData = randomArray(n * c * h * w, 411, -2, 2);
  const weight = randomArray(c, 412, 0.5, 1.5);
  const upstream = tensor(randomArray(n * c * h * w, 413), shape);
  const run = async (checkpointed: boolean) => {
    const x = tensor(xData, shape, { requiresGrad: true });
    const wt = tensor(weight, [c], { requiresGrad: true });
    const [rm, rv] = [full([c], 0), full([c], 1)];
    const f = (a: Tensor) => batchNorm(a, rm, rv, wt, null, { training: true, activation: 'relu' }).mul(a).exp().mul(2);
    let kept = 0;
    const y = tidy(() => {
      const before = memoryStats().bytesInUse;
      const out = checkpointed ? checkpoint(f, [x], [wt]) : f(x);
      kept = memoryStats().bytesInUse - before;
      out.backward(upstream);
      return out;
    });
    const result = { y: await y.toArray(), dx: await x.grad!.toArray(), dw: await wt.grad!.toArray(), rm: await rm.toArray(), rv: await rv.toArray(), kept };
    [x, wt, rm, rv, y].forEach((t) => t.dispose());
    return result;
  };
  const direct = await run(false);
  const saved = await run(true);
  for (const k of ['y', 'dx', 'dw', 'rm', 'rv'] as const) assertClose(saved[k], direct[k], { rtol: 1e-5, atol: 1e-6, label: k });
  // Direct: the batch norm's output, the product, its exp and the result stay for backward; checkpointed: the result.
  const map = n * c * h * w * 4;
  assert.ok(direct.kept >= 4 * map, `direct call kept ${direct.kept} bytes`);
  assert.ok(saved.kept <= map + 1024, `checkpoint kept ${saved.kept} bytes, more than its output`);
  upstream.dispose();
});

test.run();
