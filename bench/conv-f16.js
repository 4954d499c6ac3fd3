#!/usr/bin/env node
// float16 storage vs float32 for the conv2d backward kernels on DenseNet-like shapes (GFLOP/s of
// the chosen kernel for each dtype, after tuning), and the device memory a float16 forward pass
// keeps for backward against float32: a small DenseNet-like stack (stem conv, dense layers of
// BN-ReLU-conv1x1-BN-ReLU-conv3x3 writing into a channel buffer, transition, pooling), measured as
// bytes in use after the forward pass less those before it.
//   node bench/conv-f16.js [--json] [--quick]
import { json, loadOurs, measureRuns, quick } from './common.js';

const dg = await loadOurs();
const { name: adapter, kind, f16 } = await dg.deviceInfo();
if (!f16) {
  console.error(`bench/conv-f16: adapter "${adapter}" has no shader-f16`);
  process.exit(1);
}
const wait = async (t) => { await t.reshape([t.size]).slice([0], [1]).toArray(); t.dispose(); };

// name, N, C, H, O, k, stride, padding (DenseNet-121 at 224 px: block 1-3 layers, a transition).
const SHAPES = [
  ['block1 bottleneck 1x1', 2, 128, 56, 128, 1, 1, 0],
  ['block1 growth 3x3', 2, 128, 56, 32, 3, 1, 1],
  ['block2 bottleneck 1x1', 2, 256, 28, 128, 1, 1, 0],
  ['block3 growth 3x3', 2, 128, 14, 32, 3, 1, 1],
];

/**
 * A DenseNet-like training step in `dtype`: the bytes in use its forward pass adds (what it keeps
 * for backward: bytesInUse counts live tensors as they are made, so no wait is needed), and the
 * time of forward and backward together.
 */
async function step(dtype) {
  const growth = 32, layers = quick ? 2 : 4, c0 = 64, N = 2, size = 64;
  const params = [];
  const param = (shape, seed) => { const t = dg.randn(shape, { seed, requiresGrad: true }); params.push(t); return t; };
  const bnParams = (c, seed) => [dg.zeros([c]), dg.ones([c]), param([c], seed), param([c], seed + 1)];
  const stemW = param([c0, 3, 7, 7], 10);
  const blocks = Array.from({ length: layers }, (_, i) => {
    const c = c0 + i * growth;
    return { bn1: bnParams(c, 20 + 4 * i), w1: param([4 * growth, c, 1, 1], 21 + 4 * i), bn2: bnParams(4 * growth, 22 + 4 * i), w2: param([growth, 4 * growth, 3, 3], 23 + 4 * i) };
  });
  const input = dg.randn([N, 3, size, size], { seed: 1 });
  const cast = (t) => (dtype === 'float16' ? t.half() : t);
  await dg.sync();
  const t0 = performance.now();
  const saved = dg.tidy(() => {
    const before = dg.memoryStats().bytesInUse;
    const stem = dg.maxPool2d(dg.conv2d(cast(input), cast(stemW), null, { stride: 2, padding: 3 }), { kernelSize: 3, stride: 2, padding: 1 });
    let buf = dg.writeChannels(dg.channelBuffer([N, c0 + layers * growth, size / 4, size / 4], dtype), stem, 0);
    blocks.forEach((b, i) => {
      const c = c0 + i * growth;
      const h1 = dg.batchNorm(buf, b.bn1[0], b.bn1[1], b.bn1[2], b.bn1[3], { training: true, activation: 'relu', channels: c });
      const h2 = dg.batchNorm(dg.conv2d(h1, cast(b.w1)), b.bn2[0], b.bn2[1], b.bn2[2], b.bn2[3], { training: true, activation: 'relu' });
      buf = dg.writeChannels(buf, dg.conv2d(h2, cast(b.w2), null, { padding: 1 }), c);
    });
    const loss = dg.avgPool2d(buf, { kernelSize: 2 }).float().mean();
    const bytes = dg.memoryStats().bytesInUse - before;
    loss.backward();
    return bytes;
  });
  await params[0].grad.reshape([params[0].grad.size]).slice([0], [1]).toArray();
  const ms = performance.now() - t0;
  for (const t of [input, ...params, ...blocks.flatMap((b) => [b.bn1[0], b.bn1[1], b.bn2[0], b.bn2[1]])]) t.dispose();
  return { dtype, savedMiB: saved / 2 ** 20, stepMs: ms };
}
// Twice each: the first run compiles and tunes.
await step('float32');
await step('float16');
const memory = [await step('float32'), await step('float16')];

const rows = [];
for (const [name, N, C, H, O, k, s, p] of quick ? SHAPES.slice(1, 2) : SHAPES) {
  const opts = { stride: s, padding: p };
  const Ho = Math.floor((H + 2 * p - k) / s) + 1;
  const flops = 2 * N * O * C * k * k * Ho * Ho;
  const x32 = dg.randn([N, C, H, H], { seed: 1 }), w32 = dg.randn([O, C, k, k], { seed: 2 }), dy32 = dg.randn([N, O, Ho, Ho], { seed: 3 });
  const x16 = x32.half(), w16 = w32.half(), dy16 = dy32.half();
  for (const [op, run] of [
    ['backward input', (x, w, dy) => dg.conv2dBackwardInput(dy, w, x.shape, opts)],
    ['backward weight', (x, w, dy) => dg.conv2dBackwardWeight(x, dy, w.shape, opts)],
  ]) {
    const row = { shape: name, op };
    for (const [dtype, x, w, dy] of [['float32', x32, w32, dy32], ['float16', x16, w16, dy16]]) {
      run(x, w, dy).dispose();
      await dg.tunePending();
      row[dtype] = flops / (await measureRuns(() => run(x, w, dy), wait, kind)) / 1e9;
      const kernels = dg.conv2dKernels(x.shape, w.shape, opts, dtype);
      row[`${dtype}_kernel`] = op === 'backward input' ? kernels.backwardInput : kernels.backwardWeight;
    }
    row.ratio = row.float16 / row.float32;
    rows.push(row);
    console.error(JSON.stringify(row));
  }
  for (const t of [x32, w32, dy32, x16, w16, dy16]) t.dispose();
}

if (json) console.log(JSON.stringify({ adapter, rows, memory }));
else {
  console.log(`conv2d backward GFLOP/s, float16 storage vs float32 (${adapter})`);
  console.log('shape                    op               f32 (kernel)          f16 (kernel)          f16/f32');
  for (const r of rows) {
    console.log(`${r.shape.padEnd(24)} ${r.op.padEnd(16)} ${r.float32.toFixed(1).padStart(6)} (${r.float32_kernel.padEnd(10)})  ${r.float16.toFixed(1).padStart(6)} (${r.float16_kernel.padEnd(10)})  ${r.ratio.toFixed(2)}`);
  }
  console.log('DenseNet-like step (2 x 3 x 64 x 64): bytes its forward pass keeps for backward, forward + backward time');
  for (const m of memory) console.log(`${m.dtype.padEnd(8)} ${m.savedMiB.toFixed(2).padStart(7)} MiB  step ${m.stepMs.toFixed(0)} ms`);
}
process.exit(0);
