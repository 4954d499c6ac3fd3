// FLOP accounting: the counter's figures for one training step of a small conv net against a
// count by hand (2 FLOPs per multiply-add of each convolution and matrix product).
import { conv2d, engineStats, getDevice, randn, tidy } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test.before(async () => { await getDevice(); });

test('a conv net\'s forward and backward count the multiply-adds a hand count gives', () => {
  const x = randn([2, 3, 8, 8], { seed: 1 });
  const w1 = randn([8, 3, 3, 3], { seed: 2, requiresGrad: true });
  const w2 = randn([4, 4, 1, 1], { seed: 3, requiresGrad: true });
  const w3 = randn([64, 5], { seed: 4, requiresGrad: true });
  let forward = 0, backward = 0;
  tidy(() => {
    const start = engineStats().flops;
    const y1 = conv2d(x, w1, null, { padding: 1, activation: 'relu' });
    const y2 = conv2d(y1, w2, null, { stride: 2, groups: 2 });
    const loss = y2.reshape([2, 64]).matmul(w3).sum();
    forward = engineStats().flops - start;
    loss.backward();
    backward = engineStats().flops - start - forward;
  });
  // Forward: conv1 has 2·8·8·8 = 1024 outputs of 3·3·3 = 27 multiply-adds each (27,648); conv2
  // (two groups of 4 → 2 channels, 1x1, stride 2) 2·4·4·4 = 128 outputs of 4 (512); the product
  // [2, 64]·[64, 5] 2·5 outputs of 64 (640).
  assert.is(forward, 2 * (27648 + 512 + 640));
  // Backward: the product's two gradients (640 each), conv2's input and weight gradients (512
  // each) and conv1's weight gradient (27,648); x needs no gradient, so conv1 has no input gradient.
  assert.is(backward, 2 * (640 + 640 + 512 + 512 + 27648));
  [x, w1, w2, w3].forEach((t) => { t.grad?.dispose(); t.dispose(); });
});

test.run();
