// The buffer pool and tidy scopes: 1,000 training iterations leave bytes in use flat.
import { getDevice, memoryStats, randn, tensor, tidy, engineStats } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test.before(async () => { await getDevice(); });

test('1,000 iterations of forward + backward + SGD update keep bytes in use flat', async () => {
  const W1 = randn([16, 32], { seed: 1, std: 0.3, requiresGrad: true });
  const W2 = randn([32, 4], { seed: 2, std: 0.3, requiresGrad: true });
  const x = randn([8, 16], { seed: 3 });
  const target = randn([8, 4], { seed: 4 });
  const step = () => tidy(() => {
    const loss = x.matmul(W1).relu().matmul(W2).sub(target).square().mean();
    loss.backward();
    for (const w of [W1, W2]) {
      w.assign(w.sub(w.grad!.mul(0.05)));
      w.grad!.dispose();
      w.grad = null;
    }
    return loss;
  });
  const first = step();
  const firstLoss = await first.item();
  first.dispose();
  const after10 = memoryStats().bytesInUse;
  let last = 0;
  for (let i = 0; i < 1000; i++) {
    const l = step();
    if (i % 100 === 99) last = await l.item();
    l.dispose();
  }
  const stats = memoryStats();
  assert.is(stats.bytesInUse, after10, `bytes in use grew from ${after10} to ${stats.bytesInUse}`);
  assert.ok(stats.bytesHeld < 4 * 1024 * 1024, `pool holds ${stats.bytesHeld} bytes`);
  assert.ok(last < firstLoss, `loss did not fall: ${firstLoss} → ${last}`);
});

test('pooled buffers are reused and dispose is idempotent', async () => {
  const before = memoryStats();
  for (let i = 0; i < 50; i++) tidy(() => { tensor(new Float32Array(1000), [1000]).add(1); });
  await tensor([1], [1]).item();
  const after = memoryStats();
  assert.ok(after.buffersCreated - before.buffersCreated <= 6, `created ${after.buffersCreated - before.buffersCreated} buffers for 50 iterations`);
  const t = tensor([1, 2], [2]);
  t.dispose();
  t.dispose();
  assert.ok(engineStats().pipelines > 0);
});

test.run();
