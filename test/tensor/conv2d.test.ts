// conv2d against PyTorch goldens (test/fixtures/gen_conv_goldens.py): forward, input, weight and
// bias gradients for every kernel variant this adapter has, finite-difference checks on fresh
// random inputs, the autotuner, and the errors for bad shapes. Autotuning is off except in its
// own test, so results never depend on timing.
import {
  autotuneDecisions, autotuneTimedCount, conv2d, conv2dBackwardInput, conv2dBackwardWeight, conv2dKernels, conv2dVariants, getDevice, setAutotune, tensor, tileShapes,
  tunePending, type Conv2dOptions, type Tensor,
} from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, gradcheck, loadGolden, loadGoldenCases, maxRelError, randomArray, type GoldenTensor } from '../helpers/index.ts';

interface Case {
  name: string;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
  bias: boolean;
  relu: boolean;
}

const golden = await loadGolden('conv2d');
const cases = await loadGoldenCases<Case>('conv2d');

test.before(async () => {
  await getDevice();
  setAutotune({ enabled: false, persist: false });
});

function get(name: string, key: string): GoldenTensor {
  const t = golden.get(`${name}/${key}`);
  if (!t) throw new Error(`conv2d golden: no ${name}/${key}`);
  return t;
}

const load = (name: string, key: string, requiresGrad = false): Tensor => {
  const g = get(name, key);
  return tensor(g.data, g.shape, { requiresGrad });
};

function options(c: Case, kernels?: Conv2dOptions['kernels']): Conv2dOptions {
  return { stride: c.stride, padding: c.padding, dilation: c.dilation, groups: c.groups, activation: c.relu ? 'relu' : 'none', kernels };
}

/** ≤ 1e-4 relative to the largest expected magnitude, and element-wise within 1e-4 (+1e-5 of that magnitude). */
function check(actual: ArrayLike<number>, expected: GoldenTensor, label: string): void {
  let scale = 0;
  for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
  assertClose(actual, expected.data, { rtol: 1e-4, atol: 1e-5 * scale, label });
  const rel = maxRelError(actual, expected.data);
  assert.ok(rel <= 1e-4, `${label}: max relative error ${rel.toExponential(2)}`);
}

test('conv2d with the default kernels matches torch: forward and input, weight, bias gradients', async () => {
  for (const c of cases) {
    const x = load(c.name, 'x', true), w = load(c.name, 'w', true), b = c.bias ? load(c.name, 'b', true) : null;
    const y = conv2d(x, w, b, options(c));
    check(await y.toArray(), get(c.name, 'y'), `${c.name} forward`);
    const r = load(c.name, 'r');
    y.backward(r);
    check(await x.grad!.toArray(), get(c.name, 'gx'), `${c.name} input gradient`);
    check(await w.grad!.toArray(), get(c.name, 'gw'), `${c.name} weight gradient`);
    if (b) check(await b.grad!.toArray(), get(c.name, 'gb'), `${c.name} bias gradient`);
    for (const t of [x, w, y, r, ...(b ? [b] : [])]) t.dispose();
  }
});

/** The upstream gradient at the convolution itself: through the fused ReLU, r where y > 0. */
function convUpstream(c: Case): Tensor {
  const r = get(c.name, 'r');
  if (!c.relu) return tensor(r.data, r.shape);
  const y = get(c.name, 'y').data;
  return tensor(r.data.map((v, i) => (y[i]! > 0 ? v : 0)), r.shape);
}

type Op = 'forward' | 'backwardInput' | 'backwardWeight';

const TILE_CASES = ['k3_relu', 'k3x2_mixed', 'k3_long_reduction', 'k3s2_narrow', 'k3_column'];

/**
 * Weight-gradient shapes (x, w) whose column counts Cg * 3 * 3 (216 to 1440) and 16 output channels
 * make the tuner offer register blocks of every pixel count, full and half width, that the small
 * cases' columns do not: the blocks are sized to the columns (candidates.ts, weightPixels). Only
 * their variant lists are read; the variants then run the cases.
 */
const WIDE_WEIGHT_SHAPES = [24, 32, 48, 128, 160].map((c) => [[2, c, 8, 8], [16, c, 3, 3]] as const);

/** The variants any case can run on this adapter, plus the fallbacks for adapters without subgroups and for GPUs. */
function variantsFor(op: Op): string[] {
  // Split-K (k<S>) is for the forward pass and the input gradient only.
  const splits = op === 'backwardWeight' ? [] : ['t64x64k2', 't32x32k4'];
  const names = new Set(['reg4x4', ...tileShapes(), ...splits]);
  for (const c of cases) for (const v of conv2dVariants(get(c.name, 'x').shape, get(c.name, 'w').shape, options(c))[op]) names.add(v);
  if (op === 'backwardWeight') for (const [x, w] of WIDE_WEIGHT_SHAPES) for (const v of conv2dVariants([...x], [...w], { padding: 1 })[op]) names.add(v);
  return [...names];
}

// Every kernel variant of this adapter, each op on every case it can run.
for (const op of ['forward', 'backwardInput', 'backwardWeight'] as const) {
  test(`every ${op} kernel variant matches torch on every case`, async () => {
    const names = variantsFor(op);
    assert.ok(names.length >= 3, `${op}: expected several variants, got ${names.join(', ')}`);
    for (const variant of names) {
      let ran = 0;
      for (const c of cases) {
        // The matmul and row-shared kernels run only the shapes they are offered for.
        const restricted = variant.startsWith('mm:') || variant.startsWith('row');
        if (restricted && !conv2dVariants(get(c.name, 'x').shape, get(c.name, 'w').shape, options(c))[op].includes(variant)) continue;
        // Tiles differ only in the GEMM core's geometry (the loaders are shared), and each costs
        // seconds per pipeline to compile on CPU adapters: the default tile runs every case, the
        // others a set with unrolled and looped taps, a fused epilogue, multi-tile and multi-slab GEMMs.
        if (variant.startsWith('t') && variant !== tileShapes()[0] && !TILE_CASES.includes(c.name)) continue;
        ran++;
        const label = `${c.name} ${op} '${variant}'`;
        const opts = options(c, { [op]: variant });
        const x = load(c.name, 'x'), w = load(c.name, 'w');
        let out: Tensor;
        let expected: GoldenTensor;
        if (op === 'forward') {
          const b = c.bias ? load(c.name, 'b') : null;
          out = conv2d(x, w, b, opts);
          expected = get(c.name, 'y');
          b?.dispose();
        } else {
          const gy = convUpstream(c);
          out = op === 'backwardInput' ? conv2dBackwardInput(gy, w, x.shape, opts) : conv2dBackwardWeight(x, gy, w.shape, opts);
          expected = get(c.name, op === 'backwardInput' ? 'gx' : 'gw');
          gy.dispose();
        }
        assert.equal([...out.shape], expected.shape, `${label}: shape`);
        check(await out.toArray(), expected, label);
        for (const t of [x, w, out]) t.dispose();
      }
      assert.ok(ran > 0, `${op} '${variant}': no case ran it`);
    }
  });
}

test('gradients match finite differences on fresh random inputs (stride, padding, dilation, groups, fused ReLU)', async () => {
  const configs: [string, number[], number[], Conv2dOptions, boolean][] = [
    ['k3 s2 p1 groups 2', [2, 4, 7, 6], [6, 2, 3, 3], { stride: 2, padding: 1, groups: 2 }, true],
    ['k3x2 dilation 2 stride [1, 2]', [1, 3, 8, 9], [4, 3, 3, 2], { stride: [1, 2], padding: [2, 1], dilation: 2 }, false],
    ['k1 pointwise', [2, 6, 3, 5], [5, 6, 1, 1], {}, true],
    ['k3 depthwise', [1, 5, 6, 6], [5, 1, 3, 3], { padding: 1, groups: 5 }, false],
    ['k3 fused bias + ReLU', [1, 3, 6, 5], [4, 3, 3, 3], { padding: 1, activation: 'relu' }, true],
  ];
  let seed = 100;
  for (const [label, xs, ws, opts, withBias] of configs) {
    const n = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const inputs = [
      { data: randomArray(n(xs), seed++), shape: xs },
      { data: randomArray(n(ws), seed++), shape: ws },
      ...(withBias ? [{ data: randomArray(ws[0]!, seed++), shape: [ws[0]!] }] : []),
    ];
    await gradcheck((x, w, b) => conv2d(x, w, b ?? null, opts), inputs, { eps: 1e-2, label, seed: seed++ });
  }
});

test('the autotuner times the candidates, remembers its choice and keeps results exact', async () => {
  setAutotune({ enabled: true, persist: false });
  try {
    const c = cases.find((k) => k.name === 'k3s1p1_aligned32')!;
    const x = load(c.name, 'x'), w = load(c.name, 'w');
    const timedBefore = autotuneTimedCount();
    const first = conv2d(x, w, null, options(c));
    check(await first.toArray(), get(c.name, 'y'), 'before tuning');
    await tunePending();
    const keys = Object.keys(autotuneDecisions()).filter((k) => k.includes('conv2d_fwd') && k.includes('k3x3'));
    assert.ok(keys.length >= 1, `no conv2d_fwd decision recorded: ${JSON.stringify(autotuneDecisions())}`);
    assert.ok(autotuneTimedCount() > timedBefore, 'the timed shape classes are counted');
    const tuned = conv2d(x, w, null, options(c));
    check(await tuned.toArray(), get(c.name, 'y'), 'after tuning');
    for (const t of [x, w, first, tuned]) t.dispose();
  } finally {
    setAutotune({ enabled: false });
  }
});

test('with timeNew off the tuner times no new shape class, and the choices it made still apply', async () => {
  setAutotune({ enabled: true, persist: false });
  try {
    const decided = cases.find((k) => k.name === 'k3s1p1_aligned32')!;
    const x = load(decided.name, 'x'), w = load(decided.name, 'w');
    conv2d(x, w, null, options(decided)).dispose();
    conv2dKernels(x.shape, w.shape, options(decided));
    await tunePending();
    const choice = conv2dKernels(x.shape, w.shape, options(decided)).forward;
    const known = autotuneDecisions();
    setAutotune({ timeNew: false });
    // A shape class never seen: the first conv with an odd 13-channel map of 40 x 40.
    const xs = tensor(randomArray(1 * 13 * 40 * 40, 3), [1, 13, 40, 40]), ws = tensor(randomArray(13 * 13 * 9, 4), [13, 13, 3, 3]);
    for (let i = 0; i < 3; i++) conv2d(xs, ws, null, { padding: 1 }).dispose();
    const timedBefore = autotuneTimedCount();
    await tunePending();
    assert.equal(autotuneDecisions(), known, 'nothing new was timed');
    assert.is(autotuneTimedCount(), timedBefore, 'and none counted');
    assert.is(conv2dKernels(x.shape, w.shape, options(decided)).forward, choice, 'the decided class keeps its choice');
    for (const t of [x, w, xs, ws]) t.dispose();
  } finally {
    setAutotune({ enabled: false, timeNew: true });
  }
});

test('the tuner skips blocks that would leave most of their lanes past a small map, counting the whole batch', async () => {
  const info = (await getDevice()).info;
  if (info.kind === 'gpu' || info.subgroupSize === null || info.subgroupSize > 16) return;
  // One 16x16 image = 256 pixels: 64 lanes x 4 pixels fill a workgroup, x 8 leave half of it idle.
  // Four images = 1024 pixels, which the blocks run through one after another: x 8 fills too.
  const x = tensor(randomArray(8 * 16 * 16, 11), [1, 8, 16, 16]);
  const x4 = tensor(randomArray(4 * 8 * 16 * 16, 13), [4, 8, 16, 16]);
  const w = tensor(randomArray(32 * 8 * 9, 12), [32, 8, 3, 3]);
  const all = conv2dVariants(x.shape, w.shape, { padding: 1 }).forward;
  assert.ok(all.includes('sg4x8') && all.includes('row4x8'), all.join(', '));
  setAutotune({ enabled: true, persist: false });
  try {
    conv2d(x, w, null, { padding: 1 }).dispose();
    conv2d(x4, w, null, { padding: 1 }).dispose();
    await tunePending();
    const timedFor = (batchClass: string): string[] => {
      const key = Object.keys(autotuneDecisions()).find((k) => k.includes('conv2d_fwd') && k.includes('k3x3') && k.includes(`hw8 ${batchClass} `));
      assert.ok(key, `no decision for the 16x16 forward (${batchClass}): ${Object.keys(autotuneDecisions()).join(' / ')}`);
      return key.slice(key.lastIndexOf('|') + 1).trim().split(',');
    };
    const one = timedFor('n0');
    assert.ok(one.includes('sg4x4') && one.includes('row4x4'), one.join(', '));
    assert.ok(!one.includes('sg4x8') && !one.includes('row4x8') && !one.includes('sg4x6'), one.join(', '));
    const four = timedFor('n2');
    assert.ok(four.includes('sg4x8') && four.includes('row4x8'), four.join(', '));
  } finally {
    setAutotune({ enabled: false });
    for (const t of [x, x4, w]) t.dispose();
  }
});

test('an op with fewer channels than a shared block holds defaults to a narrow block and times no shared one', async () => {
  const info = (await getDevice()).info;
  if (info.kind === 'gpu' || info.subgroupSize === null || info.subgroupSize > 16) return;
  // A stem's input gradient: 3 input channels, where a shared block holds 4 x subgroup-size channels.
  const opts = { stride: 2, padding: 3 };
  const xShape = [1, 3, 128, 128];
  const w = tensor(randomArray(16 * 3 * 49, 13), [16, 3, 7, 7]);
  const dy = tensor(randomArray(16 * 64 * 64, 14), [1, 16, 64, 64]);
  assert.equal(conv2dKernels(xShape, w.shape, opts).backwardInput, 'sg1x8');
  setAutotune({ enabled: true, persist: false });
  try {
    conv2dBackwardInput(dy, w, xShape, opts).dispose();
    await tunePending();
    const key = Object.keys(autotuneDecisions()).find((k) => k.includes('conv2d_bwd_input') && k.includes('k7x7') && k.includes(' c2 '));
    assert.ok(key, `no decision for the stem's input gradient: ${Object.keys(autotuneDecisions()).join(' / ')}`);
    const timed = key.slice(key.lastIndexOf('|') + 1).trim().split(',');
    assert.equal(timed.slice(0, 2), ['sg1x8', 'reg4x8']);
    assert.ok(!timed.some((v) => v.startsWith('sg4x')), timed.join(', '));
  } finally {
    setAutotune({ enabled: false });
    w.dispose();
    dy.dispose();
  }
});

test('the candidates fit the adapter and the shape', async () => {
  const info = (await getDevice()).info;
  const stem = conv2dVariants([1, 3, 512, 512], [64, 3, 7, 7], { stride: 2, padding: 3 });
  const growth = conv2dVariants([1, 128, 32, 32], [32, 128, 3, 3], { padding: 1 });
  const small = conv2dVariants([1, 8, 8, 8], [8, 8, 3, 3], { padding: 1 });
  const tile = tileShapes()[0]!;
  if (info.kind === 'gpu') {
    for (const v of [stem, growth, small]) assert.ok(/^t\d/.test(v.forward[0]!), v.forward.join(', '));
    return;
  }
  // CPU adapters: register blocks first; the default tile only on small convolutions (it runs
  // 10-100x slower on large ones); blocks of few channels where the op has few (the stem's 3).
  for (const v of [stem, growth, small]) assert.ok(!/^t\d/.test(v.forward[0]!), v.forward.join(', '));
  assert.ok(!stem.backwardInput.includes(tile) && !growth.forward.includes(tile), `${stem.backwardInput.join(', ')} / ${growth.forward.join(', ')}`);
  assert.ok(small.forward.includes(tile) && small.backwardWeight.includes(tile), small.forward.join(', '));
  if (info.subgroupSize !== null && info.subgroupSize <= 16) {
    assert.ok(stem.backwardInput.includes('sg1x8') && stem.backwardInput.includes('reg4x8'), stem.backwardInput.join(', '));
    assert.ok(!growth.forward.includes('sg1x8') && !stem.forward.includes('sg1x8'), `${growth.forward.join(', ')} / ${stem.forward.join(', ')}`);
    // A small map (ResNet-50's layer 4 at 128 px, batch 8: 128 pixels, 16 per stride phase and image)
    // also has 2-pixel blocks, which fill the workgroups a 4-pixel block leaves half idle, for the
    // tuner to time; a map that fills the 4-pixel blocks has none.
    const layer4 = conv2dVariants([8, 512, 8, 8], [512, 512, 3, 3], { stride: 2, padding: 1 });
    for (const v of [layer4.forward, layer4.backwardInput]) assert.ok(v[0] === 'sg4x4' && v.includes('sg4x2'), v.join(', '));
    assert.ok(!growth.forward.includes('sg4x2') && !growth.backwardInput.includes('sg4x2'), growth.forward.join(', '));
  }
});

test('bad shapes give errors that name them', () => {
  const x = tensor(new Float32Array(2 * 6 * 5 * 5), [2, 6, 5, 5]);
  const w = tensor(new Float32Array(4 * 3 * 3 * 3), [4, 3, 3, 3]);
  assert.throws(() => conv2d(x, w), (e: Error) => /input tensor \[2, 6, 5, 5\] has 6 channels but weight tensor \[4, 3, 3, 3\] expects 3 per group/.test(e.message));
  const w4 = tensor(new Float32Array(4 * 2 * 3 * 3), [4, 2, 3, 3]);
  assert.throws(() => conv2d(x, w4, null, { groups: 4 }), (e: Error) => /groups=4 must divide .*6.*\[2, 6, 5, 5\].*4.*\[4, 2, 3, 3\]/.test(e.message));
  const w6 = tensor(new Float32Array(5 * 2 * 3 * 3), [5, 2, 3, 3]);
  assert.throws(() => conv2d(x, w6, null, { groups: 3 }), (e: Error) => /groups=3 must divide .*output channels \(5/.test(e.message));
  const w3 = tensor(new Float32Array(4 * 6 * 3 * 3), [4, 6, 3, 3]);
  assert.throws(() => conv2d(x, w3, tensor([1, 2, 3], [3])), (e: Error) => /bias tensor \[3\] must be \[4\]/.test(e.message));
  assert.throws(() => conv2d(x, tensor(new Float32Array(4 * 6 * 7 * 7), [4, 6, 7, 7])), (e: Error) => /input tensor \[2, 6, 5, 5\] is too small for weight tensor \[4, 6, 7, 7\]/.test(e.message));
  assert.throws(() => conv2d(tensor(new Float32Array(30), [6, 5]), w3), (e: Error) => /input tensor \[6, 5\] must be 4-D/.test(e.message));
  assert.throws(() => conv2d(x, w3, null, { stride: 0 }), (e: Error) => /stride must be an integer >= 1/.test(e.message));
  // Kernel names that do not exist, or that the op cannot run.
  assert.throws(() => conv2d(x, w3, null, { kernels: { forward: 't48x48' } }), (e: Error) => /unknown conv2d variant 't48x48'/.test(e.message));
  const dy = tensor(new Float32Array(2 * 4 * 3 * 3), [2, 4, 3, 3]);
  assert.throws(() => conv2dBackwardWeight(x, dy, w3.shape, { kernels: { backwardWeight: 't64x64k2' } }),
    (e: Error) => /weight-gradient variant 't64x64k2' \(it takes .* without a k<S> split\)/.test(e.message));
  for (const t of [x, w, w4, w6, w3, dy]) t.dispose();
});

test.run();
