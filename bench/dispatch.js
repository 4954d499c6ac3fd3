#!/usr/bin/env node
// What an op costs the CPU to record, ours beside TF.js WebGPU 4.22 in the same process on the
// same adapter: microseconds per op of small ops whose GPU work is removed. On a GPU, ops on
// small tensors (batch-1 convolutions of 16x16 maps, a training step's ~3,600 dispatches) finish
// in a few microseconds, so this recording time, not the kernels, sets how fast they run.
//
//   npm run build && node bench/dispatch.js [--json]
//
// Both libraries run on one Dawn build: `dispatchWorkgroups` is patched to do nothing after every
// op has run once for real (its pipelines compiled, its dispatches counted), so what is timed is
// all the CPU does per op
// (checks, allocation, uniforms, bind groups, encoding, submits) with no kernel competing for the
// cores on a CPU adapter. Each figure is the best of several batches of 2,000 ops, each batch
// ended by a wait for the queue. Ours runs its default kernels for this adapter and, on CPU
// adapters, also the GPU kernels (shared-memory tiles) forced, which is what a GPU would run.
import { performance } from 'node:perf_hooks';
import { json, loadOurs, loadTfjs } from './common.js';

const dg = await loadOurs();
const info = (await dg.getDevice()).info;
const tf = await loadTfjs();
// TF.js computes ops on small tensors whose data is still on the CPU there; here every op must
// run on the adapter (the dispatch counts below show that it does).
tf.env().set('WEBGPU_CPU_FORWARD', false);

const OPS = 2000;
const ROUNDS = 6;

// Small operands: an element-wise add, a 64³ matmul, and a 3x3 convolution of 16 channels on an
// 8x8 map (N=1, 'same' padding) with both of its gradients.
const x = dg.randn([1, 16, 8, 8], { seed: 1 }), w = dg.randn([16, 16, 3, 3], { seed: 2 }), dy = dg.randn([1, 16, 8, 8], { seed: 3 });
const a = dg.randn([256], { seed: 4 }), b = dg.randn([256], { seed: 5 });
const ma = dg.randn([64, 64], { seed: 6 }), mb = dg.randn([64, 64], { seed: 7 });
const tx = tf.randomNormal([1, 8, 8, 16]), tw = tf.randomNormal([3, 3, 16, 16]), tdy = tf.randomNormal([1, 8, 8, 16]);
const ta = tf.randomNormal([256]), tb = tf.randomNormal([256]);
const tma = tf.randomNormal([64, 64]), tmb = tf.randomNormal([64, 64]);

const conv = { padding: 1 };
const tiles = { padding: 1, kernels: { forward: 't32x32', backwardInput: 't32x32', backwardWeight: 't32x32' } };
const ours = (opts) => ({
  add: () => dg.add(a, b),
  matmul: () => dg.matmul(ma, mb),
  conv2d_fwd: () => dg.conv2d(x, w, null, opts),
  conv2d_bwd_input: () => dg.conv2dBackwardInput(dy, w, x.shape, opts),
  conv2d_bwd_weight: () => dg.conv2dBackwardWeight(x, dy, w.shape, opts),
});
const theirs = {
  add: () => tf.add(ta, tb),
  matmul: () => tf.matMul(tma, tmb),
  conv2d_fwd: () => tf.conv2d(tx, tw, 1, 'same'),
  conv2d_bwd_input: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: tdy, filter: tw },
    { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', inputShape: [1, 8, 8, 16] }),
  conv2d_bwd_weight: () => tf.engine().runKernel('Conv2DBackpropFilter', { x: tx, dy: tdy },
    { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 16, 16] }),
};
const oursDefault = ours(conv);
const oursTiles = info.kind === 'cpu' ? ours(tiles) : null;

// Every op once with its kernels running (compiles pipelines), counting its dispatches; then the
// GPU work goes.
const enc = (await dg.getDevice()).gpu.createCommandEncoder();
const pass = enc.beginComputePass();
const passProto = Object.getPrototypeOf(pass);
pass.end();
enc.finish();
const dispatch = passProto.dispatchWorkgroups;
let dispatched = 0;
passProto.dispatchWorkgroups = function (...size) { dispatched++; return dispatch.apply(this, size); };
function dispatches(run) {
  const before = dispatched;
  run().dispose();
  return dispatched - before;
}
const counts = {};
for (const [op, run] of Object.entries(theirs)) counts[op] = { tfjs: dispatches(run), ours: dispatches(oursDefault[op]), tiles: oursTiles ? dispatches(oursTiles[op]) : null };
await dg.sync();
await tf.ready();
passProto.dispatchWorkgroups = () => {};

async function microseconds(run, sync) {
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < OPS; i++) run().dispose();
    await sync();
    best = Math.min(best, ((performance.now() - t0) * 1000) / OPS);
  }
  return best;
}

const oursSync = () => dg.sync();
// TF.js has no queue wait of its own: a one-element readback ends its batch.
const tfSync = async () => { const t = tf.zeros([1]); await t.data(); t.dispose(); };

const rows = [];
for (const op of Object.keys(theirs)) {
  const tfjs = await microseconds(theirs[op], tfSync);
  const oursUs = await microseconds(oursDefault[op], oursSync);
  const tilesUs = oursTiles && op.startsWith('conv') ? await microseconds(oursTiles[op], oursSync) : null;
  rows.push({
    op, ours_us: +oursUs.toFixed(1), ours_gpu_kernels_us: tilesUs === null ? null : +tilesUs.toFixed(1), tfjs_us: +tfjs.toFixed(1), ratio: +(tfjs / oursUs).toFixed(2),
    dispatches: { ours: counts[op].ours, ours_gpu_kernels: tilesUs === null ? null : counts[op].tiles, tfjs: counts[op].tfjs },
  });
}

if (json) {
  console.log(JSON.stringify({ adapter: info.name, kind: info.kind, date: new Date().toISOString(), rows }, null, 1));
} else {
  console.log(`CPU time to record one op (µs, GPU work removed) on "${info.name}" (${info.kind}), ${new Date().toISOString().slice(0, 10)}`);
  const pad = (v, n) => String(v).padStart(n);
  console.log('(dispatches per op in brackets)');
  const cell = (us, n) => (us === null ? '' : `${us} [${n}]`);
  console.log(`${'op'.padEnd(20)}${pad('ours', 12)}${oursTiles ? pad('ours, GPU kernels', 20) : ''}${pad('TF.js', 12)}${pad('TF.js / ours', 14)}`);
  for (const r of rows) {
    const d = r.dispatches;
    console.log(`${r.op.padEnd(20)}${pad(cell(r.ours_us, d.ours), 12)}${oursTiles ? pad(cell(r.ours_gpu_kernels_us, d.ours_gpu_kernels), 20) : ''}${pad(cell(r.tfjs_us, d.tfjs), 12)}${pad(r.ratio.toFixed(2), 14)}`);
  }
}
process.exit(0);
