// Optimisers and schedulers against PyTorch (test/fixtures/gen_nn_goldens.py): parameters after
// each of six steps with given gradients, two parameter groups with their own learning rates;
// learning rates over 14 scheduler steps; state dicts that resume a run exactly.
import { getDevice, memoryStats, tensor, type Tensor } from '@drgrade/tensor';
import {
  Adam, AdamW, CosineAnnealingLR, LinearLR, MultiStepLR, SequentialLR, SGD, StepLR,
  type LRScheduler, type Optimizer, type Hyper,
} from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, loadGolden, loadGoldenCases, type GoldenTensor } from '../helpers/index.ts';

interface OptimCase {
  name: string; type: 'SGD' | 'Adam' | 'AdamW'; steps: number; groupLrScale: number;
  lr: number; momentum?: number; dampening?: number; nesterov?: boolean; weightDecay?: number;
  betas?: [number, number]; eps?: number; amsgrad?: boolean;
}
interface ScheduleSpec {
  type: string; stepSize?: number; gamma?: number; milestones?: number[]; tMax?: number; etaMin?: number;
  startFactor?: number; totalIters?: number; warmup?: ScheduleSpec; milestone?: number; then?: ScheduleSpec;
}
interface SchedCase { name: string; schedule: ScheduleSpec; lrs: number[][] }

let golden: Map<string, GoldenTensor>;
let cases: (OptimCase | SchedCase)[];

test.before(async () => {
  await getDevice();
  golden = await loadGolden('data/nn_optim');
  cases = await loadGoldenCases('data/nn_optim');
});

const g = (key: string): GoldenTensor => {
  const t = golden.get(key);
  if (!t) throw new Error(`nn_optim has no ${key}`);
  return t;
};

function makeOptimizer(c: OptimCase, params: Tensor[]): Optimizer<Hyper> {
  const groups = [{ params: params.slice(0, 2) }, { params: params.slice(2), lr: c.lr * c.groupLrScale }];
  if (c.type === 'SGD') {
    return new SGD(groups, { lr: c.lr, momentum: c.momentum, dampening: c.dampening, nesterov: c.nesterov, weightDecay: c.weightDecay });
  }
  const opts = { lr: c.lr, betas: c.betas, eps: c.eps, weightDecay: c.weightDecay, amsgrad: c.amsgrad };
  return c.type === 'Adam' ? new Adam(groups, opts) : new AdamW(groups, opts);
}

function setGrads(params: Tensor[], step: number): void {
  params.forEach((p, i) => {
    p.grad?.dispose();
    const gt = g(`g${step}/p${i}`);
    p.grad = tensor(gt.data, gt.shape);
  });
}

const freshParams = (): Tensor[] => [0, 1, 2].map((i) => tensor(g(`init/p${i}`).data, g(`init/p${i}`).shape, { requiresGrad: true }));

test('SGD (momentum, dampening, Nesterov, weight decay), Adam, AMSGrad and AdamW follow PyTorch step by step', async () => {
  for (const c of cases.filter((k): k is OptimCase => 'type' in k)) {
    const params = freshParams();
    const opt = makeOptimizer(c, params);
    for (let t = 0; t < c.steps; t++) {
      setGrads(params, t);
      opt.step();
      for (let i = 0; i < params.length; i++) {
        assertClose(await params[i]!.toArray(), g(`${c.name}/step${t}/p${i}`).data, { rtol: 1e-5, atol: 1e-6, label: `${c.name} step ${t} p${i}` });
      }
    }
    opt.zeroGrad();
    assert.ok(params.every((p) => p.grad === null));
    opt.dispose();
    params.forEach((p) => p.dispose());
  }
});

test('an optimiser restored from stateDict() after three steps continues exactly like the original', async () => {
  for (const c of cases.filter((k): k is OptimCase => 'type' in k)) {
    const params = freshParams();
    const first = makeOptimizer(c, params);
    for (let t = 0; t < 3; t++) { setGrads(params, t); first.step(); }
    const saved = first.stateDict();
    const second = makeOptimizer(c, params);
    second.loadStateDict(saved);
    first.dispose();
    // Loading an optimiser's own state (its tensors) is a no-op, not a use-after-dispose.
    second.loadStateDict(second.stateDict());
    for (let t = 3; t < c.steps; t++) { setGrads(params, t); second.step(); }
    for (let i = 0; i < params.length; i++) {
      assertClose(await params[i]!.toArray(), g(`${c.name}/step${c.steps - 1}/p${i}`).data, { rtol: 1e-5, atol: 1e-6, label: `${c.name} resumed p${i}` });
    }
    second.dispose();
    params.forEach((p) => { p.grad?.dispose(); p.dispose(); });
  }
});

test('steps keep parameter identity and leave device memory flat', async () => {
  const params = freshParams();
  const opt = new Adam(params, { lr: 1e-3, weightDecay: 1e-2, amsgrad: true });
  setGrads(params, 0);
  opt.step();
  await params[0]!.toArray();
  const before = memoryStats().bytesInUse;
  const ids = params.map((p) => p.id);
  for (let t = 0; t < 50; t++) opt.step();
  await params[0]!.toArray();
  assert.is(memoryStats().bytesInUse, before);
  assert.equal(params.map((p) => p.id), ids);
  assert.ok(params.every((p) => p.requiresGrad && !p.isDisposed));
  opt.dispose();
  params.forEach((p) => { p.grad?.dispose(); p.dispose(); });
});

test('invalid hyper-parameters and mismatched state dicts are reported by name', () => {
  const p = tensor([1, 2], [2], { requiresGrad: true });
  assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), /Nesterov momentum requires momentum > 0/);
  assert.throws(() => new Adam([p], { betas: [1.2, 0.9] }), /invalid betas/);
  assert.throws(() => new SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 }), /more than one parameter group/);
  const q = tensor([1, 2, 3], [3], { requiresGrad: true });
  const a = new SGD([p], { lr: 0.1, momentum: 0.9 });
  p.grad = tensor([1, 1], [2]);
  a.step();
  const b = new SGD([q], { lr: 0.1, momentum: 0.9 });
  assert.throws(() => b.loadStateDict(a.stateDict()), /momentum_buffer of parameter 0 has shape \[2\]/);
  a.dispose();
  [p, q].forEach((t) => { t.grad?.dispose(); t.dispose(); });
});

function makeScheduler(spec: ScheduleSpec, opt: Optimizer<Hyper>): LRScheduler {
  switch (spec.type) {
    case 'StepLR': return new StepLR(opt, { stepSize: spec.stepSize!, gamma: spec.gamma });
    case 'MultiStepLR': return new MultiStepLR(opt, { milestones: spec.milestones!, gamma: spec.gamma });
    case 'CosineAnnealingLR': return new CosineAnnealingLR(opt, { tMax: spec.tMax!, etaMin: spec.etaMin });
    case 'LinearLR': return new LinearLR(opt, { startFactor: spec.startFactor, totalIters: spec.totalIters });
    case 'SequentialLR': return new SequentialLR(opt, [new LinearLR(opt, { startFactor: spec.warmup!.startFactor, totalIters: spec.warmup!.totalIters }),
      makeScheduler(spec.then!, opt)], [spec.milestone!]);
    default: throw new Error(`unknown schedule ${spec.type}`);
  }
}

test('StepLR, MultiStepLR, CosineAnnealingLR, LinearLR and warm-up through SequentialLR give PyTorch\'s rates', () => {
  const sched = cases.filter((k): k is SchedCase => 'schedule' in k);
  assert.is(sched.length, 6);
  for (const c of sched) {
    const a = tensor([0], [1], { requiresGrad: true });
    const b = tensor([0], [1], { requiresGrad: true });
    const opt = new SGD([{ params: [a] }, { params: [b], lr: 0.02 }], { lr: 0.1 });
    const s = makeScheduler(c.schedule, opt);
    const lrs = [s.getLastLr()];
    for (let t = 0; t < 14; t++) { s.step(); lrs.push(s.getLastLr()); }
    assertClose(lrs.flat(), c.lrs.flat(), { rtol: 1e-9, atol: 1e-12, label: c.name });
    // A scheduler restored at step 6 continues identically.
    const opt2 = new SGD([{ params: [a] }, { params: [b], lr: 0.02 }], { lr: 0.1 });
    const s2 = makeScheduler(c.schedule, opt2);
    const s1 = makeScheduler(c.schedule, new SGD([{ params: [a] }, { params: [b], lr: 0.02 }], { lr: 0.1 }));
    for (let t = 0; t < 6; t++) s1.step();
    s2.loadStateDict(s1.stateDict());
    s2.step();
    assertClose(s2.getLastLr(), c.lrs[7]!, { rtol: 1e-9, atol: 1e-12, label: `${c.name} resumed` });
    a.dispose();
    b.dispose();
  }
});

test.run();
