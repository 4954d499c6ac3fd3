#!/usr/bin/env node
// Images/s of one SGD training step (forward, cross-entropy, backward, update) of the paper's
// model (DrGradeNet defaults: DenseNet169-DSOD + FPN 256 + HBP 8192) at 512x512, batch 2, and of
// a small configuration (DenseNet 16/(4,4,4,4)/32 + FPN 64 + HBP 256) at 128x128, batch 16, and
// of ResNet50 (Table 1's DFL/PMG backbone) at 224x224, batch 8, with the peak bytes held on the
// device, on the adapter in use.
//   node bench/train-step.js [--json] [--quick] [--no-tune]
// --quick runs the paper's model at 256x256 instead of 512x512 and ResNet50 at 128x128 (a
// 512x512 step takes minutes on a CPU adapter). The kernel autotuner times the variants of every new shape after the first
// step (persisted, so only the first run pays; its time is reported apart); --no-tune keeps the
// fixed default kernels instead.
import { build } from 'esbuild';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const args = new Set(process.argv.slice(2));
const json = args.has('--json');
const quick = args.has('--quick');

// @drgrade/nn and @drgrade/tensor bundled together, so both share one device and one engine.
const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}build/bench/train-step-lib.js`;
await build({
  stdin: { contents: "export * from '@drgrade/tensor'; export * from '@drgrade/nn';", resolveDir: root, loader: 'ts' },
  bundle: true, format: 'esm', platform: 'node', target: 'es2022', outfile, loader: { '.wgsl': 'text' },
  tsconfig: `${root}tsconfig.json`, external: ['webgpu', 'node:*'], logLevel: 'warning',
});
const lib = await import(outfile);
await lib.getDevice();
if (args.has('--no-tune')) lib.setAutotune({ enabled: false });
const tune = lib.autotuneEnabled();
const adapter = (await lib.deviceInfo()).name;

const configs = [
  {
    name: 'paper model (DrGradeNet defaults)', size: quick ? 256 : 512, batch: 2, steps: 2,
    make: () => new lib.DrGradeNet({ generator: new lib.Generator(1) }),
  },
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
];

const mib = (b) => b / 2 ** 20;

async function measure(cfg) {
  const model = cfg.make();
  model.train();
  const opt = new lib.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  const x = lib.randn([cfg.batch, 3, cfg.size, cfg.size], { seed: 2 });
  const labels = Array.from({ length: cfg.batch }, (_, i) => i % 5);
  const onehot = lib.tensor(labels.flatMap((l) => [0, 1, 2, 3, 4].map((j) => (j === l ? 1 : 0))), [cfg.batch, 5]);
  const step = () => {
    const loss = lib.tidy(() => {
      const { logits } = model.forward(x);
      const l = logits.logSoftmax(1).mul(onehot).sum().mul(-1 / cfg.batch);
      l.backward();
      return l;
    });
    opt.step();
    opt.zeroGrad();
    return loss;
  };
  // Warm-up: compiles pipelines and lets the autotuner time the kernel variants it met.
  const first = step();
  await first.item();
  first.dispose();
  const tuneStart = performance.now();
  await lib.tunePending();
  const tuneSeconds = (performance.now() - tuneStart) / 1000;
  // A second warm-up step compiles the kernels the tuner chose.
  const second = step();
  await second.item();
  second.dispose();
  lib.resetPeakMemory();
  const times = [];
  let lossValue = NaN;
  for (let i = 0; i < cfg.steps; i++) {
    const t0 = performance.now();
    const l = step();
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
  return {
    config: cfg.name, input: `${cfg.batch}x3x${cfg.size}x${cfg.size}`, params, seconds_per_step: seconds,
    images_per_s: cfg.batch / seconds, peak_bytes: stats.peakBytesInUse, held_bytes: stats.bytesHeld, loss: lossValue,
    tune_seconds: tuneSeconds,
  };
}

const fmt = (r) => `${r.config.padEnd(52)} ${r.input.padEnd(16)} ${r.seconds_per_step.toFixed(2).padStart(8)} ` +
  `${r.images_per_s.toFixed(2).padStart(8)} ${mib(r.peak_bytes).toFixed(0).padStart(9)} ${mib(r.held_bytes).toFixed(0).padStart(9)} ` +
  `${r.tune_seconds.toFixed(0).padStart(7)}`;
if (!json) {
  console.log(`SGD training step — adapter: ${adapter}${quick ? ' (--quick: paper model at 256x256, not 512x512)' : ''}` +
    `${tune ? '' : ' (--no-tune: default kernels)'}`);
  console.log(`${'config'.padEnd(52)} ${'input'.padEnd(16)} ${'s/step'.padStart(8)} ${'img/s'.padStart(8)} ${'peak MiB'.padStart(9)} ` +
    `${'held MiB'.padStart(9)} ${'tune s'.padStart(7)}`);
}
const rows = [];
for (const cfg of configs) {
  const r = await measure(cfg);
  rows.push(r);
  if (!json) console.log(fmt(r));
}
if (json) console.log(JSON.stringify({ adapter, quick, autotune: tune, rows }));
process.exit(0);
