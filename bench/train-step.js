#!/usr/bin/env node
// One SGD training step (forward, cross-entropy, backward, update) on the adapter in use: seconds,
// images/s, the FLOPs of its convolutions and matrix products (counted as they run, see
// packages/tensor/src/flops.ts) and the TFLOP/s and share of the adapter's FP32 peak they make,
// and the peak bytes in use on the device (the buffer pool's count, sizes rounded up to its size
// classes). Rows: the paper's model (DrGradeNet defaults: DenseNet169-DSOD + FPN 256 + HBP 8192)
// at 512x512 batch 2, a small configuration at 128x128 batch 16, ResNet50 (Table 1's DFL/PMG
// backbone) at 224x224 batch 8, and torchvision's DenseNet169 (5 classes) at 256x256 batch 2
// with and without memoryEfficient, beside PyTorch's memory for
// the same step (bench/torch-memory.py, run when /usr/bin/python3 has torch). Then the largest
// batch of the paper's model at 512x512 that fits in 24 and 80 GiB, from its peak at batch 1
// and 2 (the peak grows by the same bytes per image).
//   node bench/train-step.js [--json] [--quick] [--no-tune] [--no-torch] [--peak-tflops N] [--fits-only] [--mixed] [--only RE]
// --mixed measures every row also in mixed precision (autocast: convolutions and linear layers in
// float16 from float32 master weights; GradScaler: scaled loss, unscaled and checked gradients,
// one read back per step), as train.precision 'mixed' trains. --only RE keeps the rows whose
// name matches RE and leaves out the largest-batch part.
// --quick runs the paper's model at 256x256 instead of 512x512 and ResNet50 at 128x128 (a
// 512x512 step takes minutes on a CPU adapter). --peak-tflops gives the adapter's FP32 peak when the table below does not know
// it. --fits-only runs the largest-batch part alone (with --mixed, also in mixed precision). The kernel autotuner times the variants of every new shape after the first step
// (persisted, so only the first run pays; its time is reported apart); --no-tune keeps the
// fixed default kernels instead.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { loadTensorAndNn, root } from './common.js';

const argv = process.argv.slice(2);
const args = new Set(argv);
const json = args.has('--json');
const quick = args.has('--quick');
const mixed = args.has('--mixed');
const onlyArg = argv.indexOf('--only');
const only = onlyArg >= 0 ? new RegExp(argv[onlyArg + 1] ?? '') : null;
const peakArg = argv.indexOf('--peak-tflops');
const peakOption = peakArg >= 0 ? Number(argv[peakArg + 1]) : null;
if (peakOption !== null && !(peakOption > 0)) {
  console.error(`bench/train-step.js: --peak-tflops needs a positive number of TFLOP/s, got '${argv[peakArg + 1] ?? ''}'`);
  process.exit(2);
}

const lib = await loadTensorAndNn('train-step');
if (args.has('--no-tune')) lib.setAutotune({ enabled: false });
const tune = lib.autotuneEnabled();
const info = await lib.deviceInfo();
const adapter = info.name;

/** FP32 peaks without tensor cores (TFLOP/s), by GPU name. */
const FP32_PEAKS = [
  [/H100 SXM|H100 80GB HBM3/i, 67],
  [/H200/i, 67],
];
/** Dawn names an NVIDIA adapter by its driver only; nvidia-smi knows the model. */
function gpuName() {
  if (!/nvidia/i.test(`${info.name} ${info.vendor}`)) return info.name;
  const smi = spawnSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], { encoding: 'utf8' });
  return smi.status === 0 ? smi.stdout.trim().split('\n')[0] : info.name;
}
const gpu = gpuName();
const peakTflops = peakOption ?? FP32_PEAKS.find(([re]) => re.test(gpu))?.[1] ?? null;

const paper = (memoryEfficient = false) => () => new lib.DrGradeNet({ backbone: { memoryEfficient }, generator: new lib.Generator(1) });
const densenet169 = (memoryEfficient) => () => lib.densenet169({ numClasses: 5, memoryEfficient, generator: new lib.Generator(1) });
const paperSize = quick ? 256 : 512;
const configs = [
  { name: 'paper model (DrGradeNet defaults)', size: paperSize, batch: 2, steps: 2, make: paper() },
  {
    name: 'small (DenseNet 16/(4,4,4,4)/32 + FPN 64 + HBP 256)', size: 128, batch: 16, steps: 3,
    make: () => new lib.DrGradeNet({
      backbone: { growthRate: 16, blockConfig: [4, 4, 4, 4], numInitFeatures: 32, dsodStemWidth: 32 },
      fpnChannels: 64, projDim: 256, generator: new lib.Generator(1),
    }),
  },
  {
    name: 'ResNet50 (torchvision layout, 5 classes)', size: quick ? 128 : 224, batch: 8, steps: 2,
    make: () => {
      const net = lib.resnet50({ numClasses: 5, generator: new lib.Generator(1) });
      // measure() reads { logits }, as DrGradeNet returns them.
      return { train: () => net.train(), parameters: () => net.parameters(), forward: (x) => ({ logits: net.forward(x) }), dispose: () => net.dispose() };
    },
  },
  { name: 'DenseNet169 (torchvision)', size: 256, batch: 2, steps: 2, make: densenet169(false) },
  { name: 'DenseNet169 (torchvision), memoryEfficient', size: 256, batch: 2, steps: 2, make: densenet169(true) },
];

const mib = (b) => b / 2 ** 20;

/** Runs `steps` timed steps after two warm-up ones (the first also lets the autotuner time its candidates), in float32 or mixed precision. */
async function measure(cfg, precision, steps = cfg.steps) {
  const half = precision === 'mixed';
  const model = cfg.make();
  model.train();
  const opt = new lib.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  const x = lib.randn([cfg.batch, 3, cfg.size, cfg.size], { seed: 2 });
  const labels = Array.from({ length: cfg.batch }, (_, i) => i % 5);
  const onehot = lib.tensor(labels.flatMap((l) => [0, 1, 2, 3, 4].map((j) => (j === l ? 1 : 0))), [cfg.batch, 5]);
  const scaler = new lib.GradScaler({ enabled: half });
  const step = async () => {
    const loss = lib.tidy(() => {
      const logits = lib.autocast(() => {
        const out = model.forward(x);
        // DrGradeNet (and the ResNet50 row's wrapper) return { logits }; DenseNet the logits. The loss takes float32.
        return lib.autocastInput('loss', out.logits ?? out);
      }, { enabled: half });
      const l = logits.logSoftmax(1).mul(onehot).sum().mul(-1 / cfg.batch);
      scaler.scale(l).backward();
      return l;
    });
    await scaler.step(opt);
    scaler.update();
    opt.zeroGrad();
    return loss;
  };
  const first = await step();
  await first.item();
  first.dispose();
  const tuneStart = performance.now();
  await lib.tunePending();
  const tuneSeconds = (performance.now() - tuneStart) / 1000;
  // A second warm-up step compiles the kernels the tuner chose (and SGD's momentum now exists).
  const second = await step();
  await second.item();
  second.dispose();
  lib.resetPeakMemory();
  const times = [];
  let lossValue = NaN;
  let flops = 0;
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const f0 = lib.engineStats().flops;
    const l = await step();
    flops = lib.engineStats().flops - f0;
    lossValue = await l.item();
    l.dispose();
    times.push((performance.now() - t0) / 1000);
  }
  const stats = lib.memoryStats();
  const seconds = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
  const params = model.parameters().reduce((s, p) => s + p.size, 0);
  opt.dispose();
  model.dispose();
  [x, onehot].forEach((t) => t.dispose());
  lib.trimMemory();
  const tflops = flops / seconds / 1e12;
  return {
    config: `${cfg.name}${half ? ', mixed' : ''}`, input: `${cfg.batch}x3x${cfg.size}x${cfg.size}`, params, seconds_per_step: seconds,
    images_per_s: cfg.batch / seconds, gflop_per_step: flops / 1e9, tflops, peak_fraction: peakTflops ? tflops / peakTflops : null,
    peak_bytes: stats.peakBytesInUse, held_bytes: stats.bytesHeld, loss: lossValue, tune_seconds: tuneSeconds,
  };
}

/**
 * Peak bytes in use during one first training step (no warm-up: the pool's count does not depend
 * on timing), plus SGD's momentum, which exists from the second step on (as many bytes as the
 * parameters): the peak of every later step, at a third of the cost.
 */
async function firstStepPeak(cfg, precision) {
  const model = cfg.make();
  model.train();
  const opt = new lib.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = lib.randn([cfg.batch, 3, cfg.size, cfg.size], { seed: 2 });
  lib.resetPeakMemory();
  const loss = lib.tidy(() => {
    // In mixed precision as measure() runs it (the loss scale does not change the bytes).
    const logits = lib.autocast(() => lib.autocastInput('loss', model.forward(x).logits), { enabled: precision === 'mixed' });
    const l = logits.mean();
    l.backward();
    return l;
  });
  await loss.item();
  const peak = lib.memoryStats().peakBytesInUse + 4 * model.parameters().reduce((s, p) => s + p.size, 0);
  [loss, x].forEach((t) => t.dispose());
  opt.dispose();
  model.dispose();
  lib.trimMemory();
  return peak;
}

/**
 * PyTorch's saved activations and parameters/gradients/momentum for the DenseNet169 rows, and for
 * the ResNet50 row also its step time on this machine's cores (one JSON object a configuration),
 * or null.
 */
function torchPeer(densenet, resnetSize) {
  if (args.has('--no-torch') || (!densenet && !resnetSize)) return null;
  const py = spawnSync('/usr/bin/python3', [`${root}bench/torch-memory.py`, ...(densenet ? [] : ['--no-densenet']), ...(resnetSize ? ['--resnet50', String(resnetSize)] : [])], { encoding: 'utf8' });
  if (py.status !== 0) return null;
  return py.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

const fmtNum = (v, digits, width) => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits)).padStart(width);
const fmt = (r) => `${r.config.padEnd(59)} ${r.input.padEnd(16)} ${fmtNum(r.seconds_per_step, 2, 8)} ${fmtNum(r.images_per_s, 2, 8)} ` +
  `${fmtNum(r.gflop_per_step, 1, 9)} ${r.tflops.toPrecision(3).padStart(8)} ${fmtNum(r.peak_fraction === null ? null : 100 * r.peak_fraction, 1, 7)} ` +
  `${fmtNum(mib(r.peak_bytes), 0, 9)} ${fmtNum(mib(r.held_bytes), 0, 9)} ${fmtNum(r.tune_seconds, 0, 7)}`;
if (!json) {
  console.log(`SGD training step — adapter: ${adapter}${gpu !== adapter ? ` (${gpu})` : ''}${quick ? ' (--quick: paper model at 256x256, not 512x512)' : ''}` +
    `${tune ? '' : ' (--no-tune: default kernels)'}; FP32 peak ${peakTflops ? `${peakTflops} TFLOP/s` : 'unknown (pass --peak-tflops)'}`);
  console.log(`${'config'.padEnd(59)} ${'input'.padEnd(16)} ${'s/step'.padStart(8)} ${'img/s'.padStart(8)} ${'GFLOP'.padStart(9)} ` +
    `${'TFLOP/s'.padStart(8)} ${'% peak'.padStart(7)} ${'peak MiB'.padStart(9)} ${'held MiB'.padStart(9)} ${'tune s'.padStart(7)}`);
}
const fitsOnly = args.has('--fits-only');
const rows = [];
for (const cfg of fitsOnly ? [] : configs.filter((c) => !only || only.test(c.name))) {
  for (const precision of mixed ? ['float32', 'mixed'] : ['float32']) {
    const r = await measure(cfg, precision);
    rows.push(r);
    if (!json) console.log(fmt(r));
  }
}

// PyTorch runs the configurations whose rows ran here (--only may leave some out).
const densenetRows = rows.filter((row) => row.config.startsWith('DenseNet169'));
const resnetRow = rows.find((row) => row.config.startsWith('ResNet50') && !row.config.endsWith(', mixed'));
const resnetSize = configs.find((c) => c.name.startsWith('ResNet50')).size;
const torchAll = torchPeer(densenetRows.length > 0, resnetRow ? resnetSize : null);
const torch = torchAll?.filter((t) => t.config.includes('densenet169')) ?? null;
const torchResnet = torchAll?.find((t) => t.config.includes('resnet50')) ?? null;
if (!json && resnetRow) {
  console.log(`\nResNet50 step at ${resnetRow.input} beside PyTorch on this machine (${torchResnet ? `torch ${torchResnet.torch}, CPU, ${torchResnet.threads} threads` : 'not measured: no /usr/bin/python3 with torch'})`);
  console.log(`  ours    ${fmtNum(resnetRow.seconds_per_step, 2, 7)} s/step ${fmtNum(resnetRow.images_per_s, 2, 7)} img/s, peak ${fmtNum(mib(resnetRow.peak_bytes), 0, 5)} MiB`);
  if (torchResnet) {
    const s = torchResnet.seconds_per_step;
    console.log(`  PyTorch ${fmtNum(s, 2, 7)} s/step ${fmtNum(torchResnet.batch / s, 2, 7)} img/s, saved activations + parameters, gradients and momentum ${mib(torchResnet.total_bytes).toFixed(0)} ` +
      `(${mib(torchResnet.saved_activation_bytes).toFixed(0)} + ${mib(torchResnet.param_grad_momentum_bytes).toFixed(0)}) MiB; ours at ${(s / resnetRow.seconds_per_step).toFixed(2)}x its speed`);
  }
}
if (!json && densenetRows.length) {
  console.log(`\nPeak device memory of one DenseNet169 step at 256x256, batch 2 (MiB); PyTorch: saved activations + parameters, gradients and momentum (${torch ? `torch ${torch[0].torch}, CPU` : 'not measured: no /usr/bin/python3 with torch'})`);
  for (const r of densenetRows) {
    // torch-memory.py's lines: the plain step, then memoryEfficient's (float32 both).
    const t = r.config.endsWith(', mixed') ? null : torch?.[r.config.includes('memoryEfficient') ? 1 : 0];
    console.log(`${r.config.padEnd(59)} ours ${fmtNum(mib(r.peak_bytes), 0, 6)}   PyTorch ${t ? `${mib(t.total_bytes).toFixed(0)} (${mib(t.saved_activation_bytes).toFixed(0)} + ${mib(t.param_grad_momentum_bytes).toFixed(0)})` : 'n/a'}`);
  }
}

// The largest batch of the paper's model that fits: peak(b) = fixed + b · perImage.
const fits = [];
for (const [memoryEfficient, precision] of only ? [] : [[false, 'float32'], [true, 'float32'], ...(mixed ? [[false, 'mixed'], [true, 'mixed']] : [])]) {
  const base = { name: `paper model${memoryEfficient ? ', memoryEfficient' : ''}${precision === 'mixed' ? ', mixed' : ''}`, size: paperSize, make: paper(memoryEfficient) };
  const [one, two] = [await firstStepPeak({ ...base, batch: 1 }, precision), await firstStepPeak({ ...base, batch: 2 }, precision)];
  const perImage = two - one;
  const fixed = one - perImage;
  const largest = (gib) => Math.floor((gib * 2 ** 30 - fixed) / perImage);
  fits.push({ config: base.name, size: paperSize, peak_batch1_bytes: one, peak_batch2_bytes: two, per_image_bytes: perImage, largest_batch_24gib: largest(24), largest_batch_80gib: largest(80) });
}
if (!json && fits.length) {
  console.log(`\nLargest batch of the paper's model at ${paperSize}x${paperSize} (peak at batch 1 and 2, linear in the batch)`);
  for (const f of fits) {
    console.log(`${f.config.padEnd(52)} batch 1 ${fmtNum(mib(f.peak_batch1_bytes), 0, 6)} MiB, batch 2 ${fmtNum(mib(f.peak_batch2_bytes), 0, 6)} MiB, ` +
      `${fmtNum(mib(f.per_image_bytes), 0, 5)} MiB per image: ${f.largest_batch_24gib} in 24 GiB, ${f.largest_batch_80gib} in 80 GiB`);
  }
}
if (json) console.log(JSON.stringify({ adapter, gpu, quick, autotune: tune, peak_tflops: peakTflops, rows, torch: torchAll, fits }));
process.exit(0);
