// GradScaler (torch.amp.GradScaler's semantics): the scale's course and the skipped steps against
// a hand-computed sequence with injected inf and NaN gradients; a scaled-then-unscaled step equals
// the plain float32 step bit for bit (powers of two scale exactly); state dict and bad options.
import { Generator, getDevice, tensor, tidy } from '@drgrade/tensor';
import { GradScaler, Linear, SGD } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test.before(async () => { await getDevice(); });

test('scale sequence and skipped steps: backoff on inf/NaN, growth after growthInterval clean steps (hand-computed)', async () => {
  const p = tensor([1, 2], [2], { requiresGrad: true });
  const lr = 0.1, momentum = 0.9, g = [0.5, -1];
  const opt = new SGD([p], { lr, momentum });
  const scaler = new GradScaler({ growthInterval: 3 });
  assert.is(scaler.getScale(), 2 ** 16);
  // What backward of a scaled loss would leave: scale·g, or an overflowed gradient.
  const kinds = ['clean', 'clean', 'inf', 'clean', 'clean', 'clean', 'clean', 'nan', 'clean'] as const;
  const scales: number[] = [], stepped: boolean[] = [];
  for (const kind of kinds) {
    const s = scaler.getScale();
    p.grad = kind === 'clean' ? tensor(g.map((v) => v * s), [2]) : tensor(kind === 'inf' ? [Infinity, 1] : [1, NaN], [2]);
    stepped.push(await scaler.step(opt));
    scaler.update();
    opt.zeroGrad();
    scales.push(scaler.getScale());
  }
  // By hand from 2^16: two clean steps (2 in a row), inf halves and restarts the count, three clean
  // steps double at the third, one clean, NaN halves, one clean.
  const S = 2 ** 16;
  assert.equal(scales, [S, S, S / 2, S / 2, S / 2, S, S, S / 2, S / 2]);
  assert.equal(stepped, [true, true, false, true, true, true, true, false, true]);
  // Seven SGD momentum steps on g (PyTorch: the first buffer is g, then b = 0.9·b + g), none from the
  // skipped ones: p = p0 − lr·Σ_k b_k with b_k = g·(1 − 0.9^k)/(1 − 0.9).
  let sumB = 0;
  for (let k = 1; k <= 7; k++) sumB += (1 - momentum ** k) / (1 - momentum);
  const expected = [1 - lr * g[0]! * sumB, 2 - lr * g[1]! * sumB];
  const got = await p.toArray();
  expected.forEach((e, i) => assert.ok(Math.abs(got[i]! - e) <= 1e-5 * Math.abs(e), `p[${i}] = ${got[i]}, expected ${e}`));
  opt.dispose();
  p.dispose();
});

test('an unscaled step equals the float32 optimiser step exactly (power-of-two scale)', async () => {
  const run = async (scaler: GradScaler | null) => {
    const layer = new Linear(3, 2, { generator: new Generator(4) });
    const opt = new SGD(layer.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-2 });
    const x = tensor([0.3, -1.2, 2, 0.7, 0.1, -0.4], [2, 3]);
    for (let i = 0; i < 2; i++) {
      tidy(() => {
        const loss = layer.forward(x).relu().mul(layer.forward(x)).mean();
        (scaler ? scaler.scale(loss) : loss).backward();
      });
      if (scaler) { assert.ok(await scaler.step(opt)); scaler.update(); } else opt.step();
      opt.zeroGrad();
    }
    const values = await Promise.all(layer.parameters().map((p) => p.toArray()));
    layer.dispose();
    opt.dispose();
    x.dispose();
    return values.map((v) => [...v]);
  };
  const plain = await run(null);
  assert.equal(await run(new GradScaler()), plain);
  assert.equal(await run(new GradScaler({ initScale: 2 ** 24 })), plain);
});

test('disabled: scale 1 and plain steps; state dict; misuse and bad options refused', async () => {
  const p = tensor([1], [1], { requiresGrad: true });
  const opt = new SGD([p], { lr: 1 });
  const off = new GradScaler({ enabled: false });
  const loss = p.mul(3);
  assert.is(off.scale(loss), loss);
  assert.is(off.getScale(), 1);
  p.grad = tensor([Infinity], [1]);
  assert.ok(await off.step(opt), 'a disabled scaler steps whatever the gradients');
  off.update();
  opt.zeroGrad();

  const on = new GradScaler({ initScale: 8, growthInterval: 5 });
  assert.throws(() => on.update(), /no optimiser was unscaled or stepped/);
  p.grad = tensor([8], [1]);
  await on.unscale(opt);
  assert.equal([...await p.grad.toArray()], [1]);
  assert.ok(await on.step(opt));
  await on.unscale(opt).then(() => assert.unreachable('a second unscale before update'), (e: Error) => assert.match(e.message, /already called/));
  on.update();
  const saved = on.stateDict();
  assert.equal(saved, { scale: 8, growthFactor: 2, backoffFactor: 0.5, growthInterval: 5, growthTracker: 1 });
  const other = new GradScaler();
  other.loadStateDict(saved);
  assert.equal(other.stateDict(), saved);
  assert.throws(() => other.loadStateDict({ ...saved, scale: Infinity }), /scale Infinity must be a positive finite number/);
  assert.throws(() => new GradScaler({ backoffFactor: 1 }), /backoffFactor 1 must be in \(0, 1\)/);
  assert.throws(() => new GradScaler({ growthInterval: 0 }), /growthInterval 0 must be a positive integer/);
  [loss, p].forEach((t) => t.dispose());
  opt.dispose();
});

test.run();
