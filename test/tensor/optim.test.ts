// The fused optimiser updates (sgdStep, adamStep, emaUpdate) against a float64 reference of torch.optim's
// formulas on fresh random data, over several steps and every flag; @drgrade/nn's optimisers
// are checked against PyTorch itself in test/nn/optim.test.ts.
import { adamStep, emaUpdate, getDevice, sgdStep, tensor, zeros } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, randomArray } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

const N = 1000;

test('sgdStep follows SGD with momentum, dampening, Nesterov and weight decay over three steps', async () => {
  const configs = [
    { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
    { momentum: 0.9, dampening: 0, weightDecay: 1e-2, nesterov: true },
    { momentum: 0.8, dampening: 0.3, weightDecay: 0.05, nesterov: false },
  ];
  let seed = 1;
  for (const c of configs) {
    const p0 = randomArray(N, seed++);
    const ref = Float64Array.from(p0);
    const buf = new Float64Array(N);
    const p = tensor(p0, [10, 100]);
    const b = c.momentum !== 0 ? zeros([10, 100]) : null;
    for (let step = 0; step < 3; step++) {
      const g = randomArray(N, seed++);
      const lr = 0.1 / (step + 1);
      for (let i = 0; i < N; i++) {
        let d = g[i]! + c.weightDecay * ref[i]!;
        if (c.momentum !== 0) {
          buf[i] = step === 0 ? d : c.momentum * buf[i]! + (1 - c.dampening) * d;
          d = c.nesterov ? d + c.momentum * buf[i]! : buf[i]!;
        }
        ref[i] = ref[i]! - lr * d;
      }
      const gt = tensor(g, [10, 100]);
      sgdStep(p, gt, b, { ...c, lr, first: step === 0 });
      gt.dispose();
    }
    assertClose(await p.toArray(), ref, { rtol: 1e-5, atol: 1e-6, label: `SGD ${JSON.stringify(c)}` });
    if (b) assertClose(await b.toArray(), buf, { rtol: 1e-5, atol: 1e-6, label: `SGD buffer ${JSON.stringify(c)}` });
    p.dispose();
    b?.dispose();
  }
});

test('adamStep follows Adam, AdamW and AMSGrad over three steps', async () => {
  let seed = 50;
  for (const c of [{ decoupled: false, amsgrad: false, weightDecay: 0.01 }, { decoupled: true, amsgrad: true, weightDecay: 0.1 }]) {
    const [beta1, beta2, eps, lr] = [0.9, 0.99, 1e-6, 0.01];
    const p0 = randomArray(N, seed++);
    const ref = Float64Array.from(p0), m = new Float64Array(N), v = new Float64Array(N), vmax = new Float64Array(N);
    const p = tensor(p0, [N]), mt = zeros([N]), vt = zeros([N]), maxt = c.amsgrad ? zeros([N]) : null;
    for (let step = 1; step <= 3; step++) {
      const g = randomArray(N, seed++);
      for (let i = 0; i < N; i++) {
        let d = g[i]!;
        if (c.decoupled) ref[i] = ref[i]! * (1 - lr * c.weightDecay); else d += c.weightDecay * ref[i]!;
        m[i] = beta1 * m[i]! + (1 - beta1) * d;
        v[i] = beta2 * v[i]! + (1 - beta2) * d * d;
        vmax[i] = Math.max(vmax[i]!, v[i]!);
        const second = c.amsgrad ? vmax[i]! : v[i]!;
        ref[i] = ref[i]! - (lr / (1 - beta1 ** step)) * m[i]! / (Math.sqrt(second) / Math.sqrt(1 - beta2 ** step) + eps);
      }
      const gt = tensor(g, [N]);
      adamStep(p, gt, mt, vt, maxt, { lr, beta1, beta2, eps, weightDecay: c.weightDecay, decoupled: c.decoupled, step });
      gt.dispose();
    }
    assertClose(await p.toArray(), ref, { rtol: 1e-4, atol: 1e-6, label: `Adam ${JSON.stringify(c)}` });
    assertClose(await mt.toArray(), m, { rtol: 1e-5, atol: 1e-7, label: 'first moment' });
    for (const t of [p, mt, vt, ...(maxt ? [maxt] : [])]) t.dispose();
  }
});

test('emaUpdate keeps the moving average a = d·a + (1 − d)·v over steps of changing decay', async () => {
  const a0 = randomArray(N, 40);
  const ref = Float64Array.from(a0);
  const a = tensor(a0, [N]);
  for (const [step, decay] of [0.1, 0.9, 0.99, 0, 1].entries()) {
    const v = randomArray(N, 41 + step);
    for (let i = 0; i < N; i++) ref[i] = decay * ref[i]! + (1 - decay) * v[i]!;
    const vt = tensor(v, [N]);
    emaUpdate(a, vt, decay);
    vt.dispose();
  }
  assertClose(await a.toArray(), ref, { atol: 1e-6, rtol: 1e-5 });
  a.dispose();
});

test('bad operands name the tensors', () => {
  const p = zeros([4, 3]), g = zeros([5]);
  assert.throws(() => sgdStep(p, g, null, { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, first: true }),
    (e: Error) => /gradient tensor \[5\] must be float32 with the 12 elements of parameter tensor \[4, 3\]/.test(e.message));
  assert.throws(() => sgdStep(p, zeros([4, 3]), null, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, first: true }),
    (e: Error) => /momentum buffer is needed exactly when momentum/.test(e.message));
  assert.throws(() => adamStep(p, zeros([12]), zeros([12]), zeros([12]), null, { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, decoupled: false, step: 0 }),
    (e: Error) => /step must be an integer >= 1, got 0/.test(e.message));
  assert.throws(() => emaUpdate(p, zeros([3, 4, 2]), 0.9), (e: Error) => /emaUpdate: value tensor \[3, 4, 2\] must be float32 with the 12 elements/.test(e.message));
  assert.throws(() => emaUpdate(p, zeros([12]), 1.5), (e: Error) => /decay must be in \[0, 1\], got 1.5/.test(e.message));
});

test.run();
