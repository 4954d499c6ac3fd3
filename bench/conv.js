#!/usr/bin/env node
// Convolution benchmark: drgrade's conv2d forward, input-gradient and weight-gradient kernels
// against @tensorflow/tfjs-backend-webgpu on the same adapter, for the convolutions of a
// DenseNet169 (+ FPN + HBP head) at 512x512 input.
//
//   npm run build && node bench/conv.js [--json] [--quick]
//
// --quick runs batch 1 only (batch 8 too otherwise); --only <text>[,<text>...] keeps the shapes
// whose name contains one of them; --resnet50 runs torchvision's ResNet-50 at 128x128 input
// instead (Table 1's DFL and PMG backbone: its stride-2 convolutions and its 8x8 and 4x4 stages,
// batch 8 only); --json prints only
// {adapter, rows: [{op, shape, ours_gflops, tfjs_gflops, ratio, ...}]} on stdout.
// drgrade runs with the autotuner on: each shape is tuned (timed on every candidate kernel)
// before it is measured, as a training run would after its first step. Every figure is the
// best of a few batches of runs submitted together, each batch followed by one wait on a
// one-element readback of the last output, the same for both libraries (bench/common.js).
import { loadavg } from 'node:os';
import { loadOurs, loadTfjs, measureRuns, waiters } from './common.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const resnet50 = args.includes('--resnet50');
const log = (...m) => { if (!json) console.log(...m); else console.error(...m); };

// drgrade's device first: it checks for navigator.gpu to tell Node from a browser.
const dg = await loadOurs();
const info = (await dg.getDevice()).info;
const tf = await loadTfjs();

// name, C_in, H (= W), C_out, kernel, stride, padding
const SHAPES = [
  ['stem 7x7/2', 3, 512, 64, 7, 2, 3],
  ['block1 bottleneck 1x1', 224, 128, 128, 1, 1, 0],
  ['block1 growth 3x3', 128, 128, 32, 3, 1, 1],
  ['transition1 1x1', 256, 128, 128, 1, 1, 0],
  ['block2 bottleneck 1x1', 480, 64, 128, 1, 1, 0],
  ['block2 growth 3x3', 128, 64, 32, 3, 1, 1],
  ['block3 bottleneck 1x1', 1248, 32, 128, 1, 1, 0],
  ['block3 growth 3x3', 128, 32, 32, 3, 1, 1],
  ['block4 bottleneck 1x1', 1632, 16, 128, 1, 1, 0],
  ['block4 growth 3x3', 128, 16, 32, 3, 1, 1],
  ['FPN lateral 1x1', 1280, 32, 256, 1, 1, 0],
  ['HBP projection 1x1', 1664, 16, 512, 1, 1, 0],
];
// ResNet-50 (v1.5: the stride in each stage's first 3x3) at 128x128: the stage-opening stride-2
// convolutions and the last two stages' 3x3 and 1x1 convolutions, where the maps are 8x8 and 4x4.
const RESNET50 = [
  ['layer2 downsample 1x1/2', 256, 32, 512, 1, 2, 0],
  ['layer2 conv2 3x3/2', 128, 32, 128, 3, 2, 1],
  ['layer3 downsample 1x1/2', 512, 16, 1024, 1, 2, 0],
  ['layer3 conv2 3x3/2', 256, 16, 256, 3, 2, 1],
  ['layer3 conv2 3x3', 256, 8, 256, 3, 1, 1],
  ['layer3 conv3 1x1', 256, 8, 1024, 1, 1, 0],
  ['layer4 downsample 1x1/2', 1024, 8, 2048, 1, 2, 0],
  ['layer4 conv2 3x3/2', 512, 8, 512, 3, 2, 1],
  ['layer4 conv2 3x3', 512, 4, 512, 3, 1, 1],
  ['layer4 conv1 1x1', 2048, 4, 512, 1, 1, 0],
];
const BATCHES = resnet50 ? [8] : quick ? [1] : [1, 8];

const { oursWait, tfjsWait } = waiters(dg, tf);
const measure = (launch, wait) => measureRuns(launch, wait, info.kind);

function randn(shape, seed) {
  return dg.randn(shape, { seed });
}

/** drgrade: each launch dispatches one op and frees its output (the pool reuses the buffer after submit). */
async function oursTimes(N, C, H, O, k, s, p) {
  const opts = { stride: s, padding: p };
  const x = randn([N, C, H, H], 1), w = randn([O, C, k, k], 2);
  const Ho = Math.floor((H + 2 * p - k) / s) + 1;
  const dy = randn([N, O, Ho, Ho], 3);
  const ops = {
    conv2d_fwd: () => dg.conv2d(x, w, null, opts),
    conv2d_bwd_input: () => dg.conv2dBackwardInput(dy, w, x.shape, opts),
    conv2d_bwd_weight: () => dg.conv2dBackwardWeight(x, dy, w.shape, opts),
  };
  const out = {};
  for (const [op, run] of Object.entries(ops)) {
    run().dispose();
    await dg.tunePending();
    out[op] = await measure(run, oursWait);
  }
  const kernels = dg.conv2dKernels(x.shape, w.shape, opts);
  for (const t of [x, w, dy]) t.dispose();
  return { times: out, kernels };
}

/** TF.js (NHWC, its native layout): the backward kernels are called directly, as tfjs-core's Node build registers no gradients. */
async function tfjsTimes(N, C, H, O, k, s, p) {
  // The padding a TF.js user writes: 'valid' or 'same' where they match PyTorch's symmetric padding
  // (TF.js's fast 1x1 path takes only those), explicit pads otherwise.
  const pad = p === 0 ? 'valid' : s === 1 && 2 * p === k - 1 ? 'same' : [[0, 0], [p, p], [p, p], [0, 0]];
  const Ho = Math.floor((H + 2 * p - k) / s) + 1;
  const x = tf.randomNormal([N, H, H, C]), f = tf.randomNormal([k, k, C, O]), dy = tf.randomNormal([N, Ho, Ho, O]);
  const ops = {
    conv2d_fwd: () => tf.conv2d(x, f, s, pad),
    conv2d_bwd_input: () => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: f },
      { strides: [s, s], pad, dataFormat: 'NHWC', inputShape: [N, H, H, C] }),
    conv2d_bwd_weight: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy },
      { strides: [s, s], pad, dataFormat: 'NHWC', filterShape: [k, k, C, O] }),
  };
  const out = {};
  for (const [op, run] of Object.entries(ops)) {
    out[op] = await measure(run, tfjsWait);
  }
  for (const t of [x, f, dy]) t.dispose();
  return out;
}

const t0 = performance.now();
log(`conv2d bench on "${info.name}" (${info.kind}, subgroup ${info.subgroupSize ?? 'none'}), ${new Date().toISOString().slice(0, 10)}`);
log(resnet50 ? 'ResNet-50 at 128x128, batch 8' : quick ? 'quick mode: batch 1 only (omit --quick for batch 1 and 8)'
  : `batches 1 and 8${info.kind === 'cpu' ? ' (on a CPU adapter this takes over an hour: --quick runs batch 1 in about 10 minutes)' : ''}`);
// Other processes on the machine slow both libraries, unevenly: the load is part of the record.
const loadStart = loadavg()[0];
log(`load average at start: ${loadStart.toFixed(2)}`);
const rows = [];
const pad = (v, n) => String(v).padEnd(n);
log(`${pad('shape', 58)}${pad('op', 20)}${pad('ours GFLOP/s', 14)}${pad('TF.js GFLOP/s', 15)}ratio  our kernel`);
for (const N of BATCHES) {
  for (const [name, C, H, O, k, s, p] of (resnet50 ? RESNET50 : SHAPES).filter(([n]) => !only || only.split(',').some((o) => n.includes(o)))) {
    const Ho = Math.floor((H + 2 * p - k) / s) + 1;
    const flops = 2 * N * O * C * k * k * Ho * Ho;
    const shape = `${name}: N=${N} ${C}x${H}x${H} -> ${O}x${Ho}x${Ho}`;
    const ours = await oursTimes(N, C, H, O, k, s, p);
    const theirs = await tfjsTimes(N, C, H, O, k, s, p);
    for (const op of ['conv2d_fwd', 'conv2d_bwd_input', 'conv2d_bwd_weight']) {
      const oursG = flops / ours.times[op] / 1e9, tfG = flops / theirs[op] / 1e9;
      const key = op === 'conv2d_fwd' ? 'forward' : op === 'conv2d_bwd_input' ? 'backwardInput' : 'backwardWeight';
      const kernel = ours.kernels[key];
      rows.push({ op, shape, ours_gflops: +oursG.toFixed(3), tfjs_gflops: +tfG.toFixed(3), ratio: +(oursG / tfG).toFixed(2), ours_kernel: kernel });
      log(`${pad(shape, 58)}${pad(op, 20)}${pad(oursG.toFixed(2), 14)}${pad(tfG.toFixed(2), 15)}${pad((oursG / tfG).toFixed(1), 7)}${kernel}`);
    }
  }
}

const geomean = (xs) => Math.exp(xs.reduce((a, v) => a + Math.log(v), 0) / xs.length);
const summary = {};
for (const op of ['conv2d_fwd', 'conv2d_bwd_input', 'conv2d_bwd_weight']) {
  const r = rows.filter((x) => x.op === op);
  summary[op] = { ours_gflops: +geomean(r.map((x) => x.ours_gflops)).toFixed(3), tfjs_gflops: +geomean(r.map((x) => x.tfjs_gflops)).toFixed(3), ratio: +geomean(r.map((x) => x.ratio)).toFixed(2) };
  log(`geometric mean ${pad(op, 20)} ours ${summary[op].ours_gflops} GFLOP/s, TF.js ${summary[op].tfjs_gflops} GFLOP/s, ratio ${summary[op].ratio}x`);
}
const decisions = dg.autotuneDecisions();
log(`autotuner decisions (${Object.keys(decisions).length}, cached in ${dg.autotuneCachePath()}):`);
for (const [k, v] of Object.entries(decisions)) log(`  ${k} -> ${v}`);
const loadEnd = loadavg()[0];
log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s, load average at end ${loadEnd.toFixed(2)}`);
if (json) {
  console.log(JSON.stringify({ adapter: info.name, kind: info.kind, date: new Date().toISOString(), quick, load: [loadStart, loadEnd], rows, geomean: summary, autotune: decisions }, null, 1));
}
process.exit(0);
