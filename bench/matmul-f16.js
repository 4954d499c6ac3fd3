#!/usr/bin/env node
// f16 matmul (float16 storage, float32 sums) beside float32 on the same adapter, same shapes:
// GFLOP/s of the chosen kernel for each dtype, after tuning.
//   node bench/matmul-f16.js [--json] [--quick]
import { json, loadOurs, measureRuns, quick } from './common.js';

const ours = await loadOurs();
const { name: adapter, kind, f16 } = await ours.deviceInfo();
if (!f16) {
  console.error(`bench/matmul-f16: adapter "${adapter}" has no shader-f16`);
  process.exit(1);
}
const wait = async (t) => { await t.slice([0, 0], [1, 1]).toArray(); t.dispose(); };
const shapes = [
  ...(quick ? [256, 512] : [256, 512, 1024, 2048]).map((n) => [n, n, n]),
  // DenseNet-like 1x1-conv GEMMs: [HW, Cin] x [Cin, Cout].
  [64 * 64, 256, 128],
  [32 * 32, 640, 128],
];
const rows = [];
for (const [M, K, N] of shapes) {
  const a32 = ours.randn([M, K], { seed: 1 }), b32 = ours.randn([K, N], { seed: 2 });
  const a16 = a32.half(), b16 = b32.half();
  const row = { shape: `${M}x${K}x${N}` };
  for (const [dtype, a, b] of [['float32', a32, b32], ['float16', a16, b16]]) {
    a.matmul(b).dispose();
    await ours.tunePending();
    const sec = await measureRuns(() => a.matmul(b), wait, kind);
    row[dtype] = (2 * M * K * N) / sec / 1e9;
    row[`${dtype}_kernel`] = ours.chooseMatmul(K, N, M, 1, dtype);
  }
  row.ratio = row.float16 / row.float32;
  rows.push(row);
  for (const t of [a32, b32, a16, b16]) t.dispose();
}
if (json) console.log(JSON.stringify({ adapter, rows }));
else {
  console.log(`matmul GFLOP/s, float16 storage vs float32 (${adapter})`);
  console.log('shape            f32 (kernel)         f16 (kernel)         f16/f32');
  for (const r of rows) {
    console.log(`${r.shape.padEnd(16)} ${r.float32.toFixed(1).padStart(6)} (${r.float32_kernel.padEnd(9)})  ${r.float16.toFixed(1).padStart(6)} (${r.float16_kernel.padEnd(9)})  ${r.ratio.toFixed(2)}`);
  }
}
process.exit(0);
