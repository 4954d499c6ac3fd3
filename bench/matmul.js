#!/usr/bin/env node
// GFLOP/s of our matmul beside TF.js WebGPU 4.22 on the same adapter, in the same run.
//   node bench/matmul.js [--json] [--quick]
import { geomean, json, loadOurs, loadTfjs, measureRuns, printTable, quick, waiters } from './common.js';

const ours = await loadOurs();
const { name: adapter, kind } = await ours.deviceInfo();
// A GPU finishes a 2048³ product in about a millisecond: 4096³ too there.
const gpu = kind === 'gpu';
const tf = await loadTfjs();
const { oursWait, tfjsWait } = waiters(ours, tf);

const square = (quick ? [256, 512, 1024] : gpu ? [256, 512, 1024, 2048, 4096] : [256, 512, 1024, 2048]).map((n) => [1, n, n, n]);
// DenseNet-like GEMMs: a 1x1 conv as [HW, Cin] x [Cin, Cout] and the classifier/HBP shapes.
const densenet = [
  [1, 128 * 128, 128, 32],
  [1, 64 * 64, 256, 128],
  [1, 32 * 32, 640, 128],
  [1, 16 * 16, 1280, 256],
  [8, 16, 8192, 5],
];
const shapes = [...square, ...(quick ? densenet.slice(0, 3) : densenet)];
const rows = [];
for (const [B, M, K, N] of shapes) {
  const a = ours.randn(B === 1 ? [M, K] : [B, M, K], { seed: 1 });
  const b = ours.randn([K, N], { seed: 2 });
  const flops = 2 * B * M * K * N;
  // Tuned first (timing every candidate kernel), as a training run is after its first step.
  a.matmul(b).dispose();
  await ours.tunePending();
  const oursSec = await measureRuns(() => a.matmul(b), oursWait, kind);
  const ta = tf.randomNormal(B === 1 ? [M, K] : [B, M, K]);
  const tb = tf.randomNormal([K, N]);
  const tfSec = await measureRuns(() => tf.matMul(ta, tb), tfjsWait, kind);
  ta.dispose(); tb.dispose(); a.dispose(); b.dispose();
  const o = flops / oursSec / 1e9, t = flops / tfSec / 1e9;
  rows.push({ op: 'matmul', shape: `${B > 1 ? `${B}x` : ''}${M}x${K}x${N}`, ours: o, tfjs: t, ratio: o / t });
}
if (json) {
  console.log(JSON.stringify({ adapter, rows: rows.map((r) => ({ op: r.op, shape: r.shape, ours_gflops: r.ours, tfjs_gflops: r.tfjs, ratio: r.ratio })) }));
} else {
  printTable('matmul GFLOP/s (M x K x N)', adapter, rows, 'GFLOP/s');
  console.log(`geometric mean ratio (ours / tfjs): ${geomean(rows.map((r) => r.ratio)).toFixed(2)}`);
}
process.exit(0);
