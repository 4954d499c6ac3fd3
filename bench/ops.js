#!/usr/bin/env node
// GB/s of pooling, batch norm, interpolate, bilinear pooling and the weights' moving-average update,
// ours beside TF.js WebGPU 4.22 on the same adapter in the same run.
//   node bench/ops.js [--json] [--quick]
// GB/s counts the bytes an op must move at least (inputs read once, outputs written once, as listed
// per row below), the same count for both libraries, so the ratio is the ratio of run times.
// TF.js works in NHWC: its tensors have the same sizes in that layout. Its Node build registers no
// gradients, so backward rows call its gradient kernels (MaxPoolGrad, ...) through runKernel, and
// compose batch norm's training backward from its ops (as its gradient functions would).
// Backward rows time the op's backward rule alone (our graph node's backward, given the upstream
// gradient), not the forward pass.
import { json, loadOurs, loadTfjs, printTable, quick, timeIt, geomean } from './common.js';

const ours = await loadOurs();
const adapter = (await ours.deviceInfo()).name;
const tf = await loadTfjs();

/** Waits for TF.js's queued work without reading anything back (a readback would be timed too). */
async function tfSync() {
  const backend = tf.backend();
  if (backend.commandEncoder) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  await backend.queue.onSubmittedWorkDone();
}

const MB = 1e9;
const rows = [];
const sizeOf = (shape) => shape.reduce((a, b) => a * b, 1);
const nhwc = ([n, c, h, w]) => [n, h, w, c];

/**
 * Times `oursRun` (enqueues our work; tensors it makes are freed by tidy) and `tfRun` (returns TF.js
 * tensors to free after the next sync), both moving `bytes`.
 */
async function measure(op, shape, bytes, oursRun, tfRun, reps = 4) {
  // Our engine sleeps Node's main thread for the predicted run time before each wait (pacer.ts),
  // learned from earlier waits: settle it on this op (first use includes the driver's
  // shader compile) before timing.
  for (let i = 0; i < 3; i++) {
    ours.tidy(() => { oursRun(); });
    await ours.sync();
  }
  const oursSec = await timeIt(() => ours.tidy(() => { oursRun(); }), () => ours.sync(), { reps });
  let tfSec = NaN;
  if (tfRun) {
    let pending = [];
    tfSec = await timeIt(() => { pending.push(...[tfRun()].flat()); }, async () => {
      await tfSync();
      pending.forEach((t) => t.dispose());
      pending = [];
    }, { reps });
  }
  const o = bytes / oursSec / MB, t = bytes / tfSec / MB;
  rows.push({ op, shape, ours: o, tfjs: t, ratio: o / t });
  if (!json) console.error(`  ${op} ${shape}: ours ${o.toFixed(2)} GB/s, tfjs ${Number.isFinite(t) ? t.toFixed(2) : 'n/a'} GB/s`);
}

const randn = (shape, requiresGrad = false) => ours.randn(shape, { seed: 1, requiresGrad });
const tfRandn = (shape) => tf.randomNormal(shape);

// Pooling: DenseNet169's stem max pool and first transition's 2x2 average pool at 512x512 input,
// and its global average pool (adaptive to 1x1; TF.js: mean over H, W).
async function pooling() {
  const cases = [
    ['maxPool2d', [1, 64, 256, 256], { kernelSize: 3, stride: 2, padding: 1 }],
    ['avgPool2d', [1, 128, 128, 128], { kernelSize: 2, stride: 2, padding: 0 }],
  ];
  for (const [name, shape, opts] of cases) {
    const x = randn(shape, true);
    const y = name === 'maxPool2d' ? ours.maxPool2d(x, opts) : ours.avgPool2d(x, opts);
    const g = randn(y.shape);
    const tx = tfRandn(nhwc(shape));
    const tfPool = name === 'maxPool2d' ? tf.maxPool : tf.avgPool;
    const ty = tfPool(tx, opts.kernelSize, opts.stride, opts.padding);
    const tg = tfRandn(ty.shape);
    const label = `${shape.join('x')} k${opts.kernelSize} s${opts.stride}`;
    const io = (sizeOf(shape) + y.size) * 4;
    await measure(`${name}_fwd`, label, io,
      () => (name === 'maxPool2d' ? ours.maxPool2d(x, opts) : ours.avgPool2d(x, opts)),
      () => tfPool(tx, opts.kernelSize, opts.stride, opts.padding));
    const attrs = { filterSize: opts.kernelSize, strides: opts.stride, pad: opts.padding };
    await measure(`${name}_bwd`, label, io, () => y.node.backward(g),
      () => (name === 'maxPool2d'
        ? tf.engine().runKernel('MaxPoolGrad', { dy: tg, input: tx, output: ty }, attrs)
        : tf.engine().runKernel('AvgPoolGrad', { dy: tg, input: tx }, attrs)));
    [x, y, g].forEach((t) => t.dispose());
    [tx, ty, tg].forEach((t) => t.dispose());
  }
  const shape = quick ? [2, 1664, 16, 16] : [8, 1664, 16, 16];
  const x = randn(shape, true);
  const y = ours.adaptiveAvgPool2d(x, 1);
  const g = randn(y.shape);
  const tx = tfRandn(nhwc(shape));
  const label = `${shape.join('x')} to 1x1`;
  const io = (sizeOf(shape) + y.size) * 4;
  await measure('adaptiveAvgPool2d_fwd', label, io, () => ours.adaptiveAvgPool2d(x, 1), () => tf.mean(tx, [1, 2]));
  await measure('adaptiveAvgPool2d_bwd', label, io, () => y.node.backward(g), null);
  [x, y, g, tx].forEach((t) => t.dispose());
}

// Batch norm: training forward + backward (x, y, dy, dx and x again: 5 passes over the tensor),
// and DenseNet's eval BN-ReLU (2 passes).
async function batchNorm() {
  const shapes = quick ? [[4, 128, 64, 64]] : [[4, 128, 64, 64], [8, 512, 16, 16]];
  for (const shape of shapes) {
    const c = shape[1];
    const x = randn(shape, true);
    const weight = ours.rand([c], { seed: 2, requiresGrad: true });
    const bias = ours.randn([c], { seed: 3, requiresGrad: true });
    const runningMean = ours.zeros([c]);
    const runningVar = ours.ones([c]);
    const g = randn(shape);
    const tx = tfRandn(nhwc(shape));
    const tw = tf.randomUniform([c]);
    const tb = tfRandn([c]);
    const tg = tfRandn(nhwc(shape));
    let trm = tf.zeros([c]);
    let trv = tf.ones([c]);
    const label = shape.join('x');
    await measure('batchNorm_train_fwd_bwd', label, 5 * sizeOf(shape) * 4, () => {
      const y = ours.batchNorm(x, runningMean, runningVar, weight, bias, { training: true });
      y.node.backward(g);
    }, () => tf.tidy(() => {
      const { mean, variance } = tf.moments(tx, [0, 1, 2]);
      const y = tf.batchNorm(tx, mean, variance, tb, tw, 1e-5);
      const m = sizeOf(shape) / c;
      const newRm = tf.add(tf.mul(trm, 0.9), tf.mul(mean, 0.1));
      const newRv = tf.add(tf.mul(trv, 0.9), tf.mul(variance, (0.1 * m) / (m - 1)));
      trm.dispose(); trv.dispose();
      trm = tf.keep(newRm); trv = tf.keep(newRv);
      // d/dx of batch norm with batch statistics, d/dweight, d/dbias.
      const invstd = tf.rsqrt(tf.add(variance, 1e-5));
      const xhat = tf.mul(tf.sub(tx, mean), invstd);
      const dbias = tf.sum(tg, [0, 1, 2]);
      const dweight = tf.sum(tf.mul(tg, xhat), [0, 1, 2]);
      const dx = tf.mul(tf.mul(tw, invstd), tf.sub(tf.sub(tg, tf.div(dbias, m)), tf.mul(xhat, tf.div(dweight, m))));
      return [y, dx, dweight, dbias];
    }));
    await measure('batchNorm_eval_relu_fwd', label, 2 * sizeOf(shape) * 4,
      () => ours.batchNorm(x, runningMean, runningVar, weight, bias, { activation: 'relu' }),
      () => tf.tidy(() => tf.relu(tf.batchNorm(tx, trm, trv, tb, tw, 1e-5))));
    [x, weight, bias, runningMean, runningVar, g].forEach((t) => t.dispose());
    [tx, tw, tb, tg, trm, trv].forEach((t) => t.dispose());
  }
}

// Interpolate: FPN's nearest x2 top-down upsampling, and a bilinear resize of the same map.
async function interpolate() {
  const shape = [1, 256, 32, 32];
  for (const mode of ['nearest', 'bilinear']) {
    const x = randn(shape, true);
    const y = ours.interpolate(x, { scaleFactor: 2, mode });
    const g = randn(y.shape);
    const tx = tfRandn(nhwc(shape));
    const tg = tfRandn(nhwc(y.shape));
    const label = `${shape.join('x')} x2`;
    const io = (sizeOf(shape) + y.size) * 4;
    const resize = mode === 'nearest'
      ? () => tf.image.resizeNearestNeighbor(tx, [64, 64], false, false)
      : () => tf.image.resizeBilinear(tx, [64, 64], false, true);
    await measure(`interpolate_${mode}_fwd`, label, io, () => ours.interpolate(x, { scaleFactor: 2, mode }), resize);
    await measure(`interpolate_${mode}_bwd`, label, io, () => y.node.backward(g), () => tf.engine().runKernel(
      mode === 'nearest' ? 'ResizeNearestNeighborGrad' : 'ResizeBilinearGrad', { images: tx, dy: tg },
      { alignCorners: false, halfPixelCenters: mode === 'bilinear' }));
    [x, y, g, tx, tg].forEach((t) => t.dispose());
  }
}

// Bilinear pooling: HBP's interaction of two D = 8192 projections on the coarsest 16x16 grid, and
// B-CNN's X·Xᵀ / HW on VGG16 relu5_3 at 448x448 input (512 x 28x28).
async function bilinear() {
  const shape = quick ? [2, 8192, 16, 16] : [4, 8192, 16, 16];
  const [n, d] = shape;
  const a = randn(shape, true), b = randn(shape, true);
  const y = ours.hbpInteraction(a, b);
  const g = randn(y.shape);
  const ta = tfRandn(nhwc(shape)), tb = tfRandn(nhwc(shape)), tg = tfRandn([n, 1, 1, d]);
  const label = shape.join('x');
  await measure('hbpInteraction_fwd', label, (2 * sizeOf(shape) + n * d) * 4, () => ours.hbpInteraction(a, b),
    () => tf.tidy(() => tf.sum(tf.mul(ta, tb), [1, 2])));
  await measure('hbpInteraction_bwd', label, (4 * sizeOf(shape) + n * d) * 4, () => y.node.backward(g),
    () => [tf.mul(tg, tb), tf.mul(tg, ta)]);
  [a, b, y, g, ta, tb, tg].forEach((t) => t.dispose());

  const gshape = quick ? [1, 512, 28, 28] : [2, 512, 28, 28];
  const [gn, gc, gh, gw] = gshape;
  const l = gh * gw;
  const x = randn(gshape, true);
  const gy = ours.bilinearPool(x);
  const gg = randn(gy.shape);
  const tx = tfRandn([gn, gc, l]);
  const tgg = tfRandn([gn, gc, gc]);
  const glabel = gshape.join('x');
  await measure('bilinearPool_fwd', glabel, (sizeOf(gshape) + gy.size) * 4, () => ours.bilinearPool(x),
    () => tf.tidy(() => tf.div(tf.matMul(tx, tx, false, true), l)), 1);
  await measure('bilinearPool_bwd', glabel, (2 * sizeOf(gshape) + gy.size) * 4, () => gy.node.backward(gg),
    () => tf.tidy(() => tf.div(tf.matMul(tf.add(tgg, tf.transpose(tgg, [0, 2, 1])), tx), l)), 1);
  [x, gy, gg, tx, tgg].forEach((t) => t.dispose());
}

// The moving average of the weights (train.ema): one update of AlexNet's 4096x4096 fc7 weight
// (read the average and the weight, write the average). TF.js has no fused op: a variable assigned
// d·a + (1 − d)·v, as tf.train's moving averages compose it.
async function weightAverage() {
  const shape = [4096, 4096];
  const a = randn(shape), v = ours.randn(shape, { seed: 9 });
  const ta = tf.variable(tfRandn(shape)), tv = tfRandn(shape);
  await measure('emaUpdate', shape.join('x'), 3 * sizeOf(shape) * 4, () => ours.emaUpdate(a, v, 0.99),
    () => { ta.assign(tf.tidy(() => tf.add(tf.mul(ta, 0.99), tf.mul(tv, 0.01)))); return []; });
  [a, v, ta, tv].forEach((t) => t.dispose());
}

await weightAverage();
await pooling();
await batchNorm();
await interpolate();
await bilinear();

if (json) {
  console.log(JSON.stringify({ adapter, rows: rows.map((r) => ({ op: r.op, shape: r.shape, ours_gbps: r.ours, tfjs_gbps: Number.isFinite(r.tfjs) ? r.tfjs : null, ratio: Number.isFinite(r.ratio) ? r.ratio : null })) }));
} else {
  printTable('moving average, pooling, batch norm, interpolate, bilinear pooling: GB/s', adapter, rows, 'GB/s');
  console.log(`geometric mean ratio (ours / tfjs): ${geomean(rows.map((r) => r.ratio)).toFixed(2)}`);
}
process.exit(0);
