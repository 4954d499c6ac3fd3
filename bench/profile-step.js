#!/usr/bin/env node
// Where a training step's time goes: one SGD step of torchvision's DenseNet169 (5 classes) at
// 256x256, batch 2 (or, with --model small, of the `real` preset's network: DenseNet 16/(4,4,4,4)/32
// + FPN 64 + HBP 256 at 16x128x128; with --model resnet50, of torchvision's ResNet50 at 8x128x128; both
// without PyTorch beside it), timed (median of three after two
// warm-up steps), then one more step profiled
// with profile() (every kernel timed on the device by timestamp queries), beside PyTorch's step on
// this machine's CPU profiled by torch.profiler (bench/torch-step-profile.py, when /usr/bin/python3
// has torch). The families compare our device time with PyTorch's self time of the ATen ops doing the
// same work; "everything else" is each profile's total (our device time, PyTorch's self times)
// less the families. PyTorch's OpenMP threads slow down many times over when other processes
// share the cores (0.4–2.8 s for the same step here), so read its figures from a quiet machine.
//   node bench/profile-step.js [--json] [--no-torch] [--kernels N] [--model densenet169|small|resnet50]
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { loadTensorAndNn, root } from './common.js';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const kernelsArg = argv.indexOf('--kernels');
const topKernels = kernelsArg >= 0 ? Number(argv[kernelsArg + 1]) : 12;
if (!(topKernels >= 0)) {
  console.error(`bench/profile-step.js: --kernels needs a count, got '${argv[kernelsArg + 1] ?? ''}'`);
  process.exit(2);
}

const modelArg = argv.indexOf('--model');
const modelName = modelArg >= 0 ? argv[modelArg + 1] : 'densenet169';

const lib = await loadTensorAndNn('profile-step');
const MODELS = {
  densenet169: { title: 'DenseNet169 (torchvision, 5 classes)', batch: 2, size: 256, torch: true, make: () => lib.densenet169({ numClasses: 5, generator: new lib.Generator(1) }) },
  small: {
    title: 'the real preset\'s network (DenseNet 16/(4,4,4,4)/32 + FPN 64 + HBP 256)', batch: 16, size: 128, torch: false,
    make: () => new lib.DrGradeNet({ backbone: { growthRate: 16, blockConfig: [4, 4, 4, 4], numInitFeatures: 32, dsodStemWidth: 32 }, fpnChannels: 64, projDim: 256, generator: new lib.Generator(1) }),
  },
  resnet50: {
    title: 'ResNet50 (torchvision layout, 5 classes; Table 1\'s DFL and PMG backbone)', batch: 8, size: 128, torch: false,
    make: () => lib.resnet50({ numClasses: 5, generator: new lib.Generator(1) }),
  },
};
const spec = MODELS[modelName];
if (!spec) {
  console.error(`bench/profile-step.js: --model must be one of ${Object.keys(MODELS).join(', ')}, got '${modelName ?? ''}'`);
  process.exit(2);
}
const info = await lib.deviceInfo();
if (!info.timestamps) {
  console.error(`bench/profile-step.js: the adapter ${info.name} has no 'timestamp-query' feature, so its kernels cannot be timed`);
  process.exit(1);
}

const { batch, size } = spec;
const model = spec.make();
model.train();
const opt = new lib.SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
const x = lib.randn([batch, 3, size, size], { seed: 2 });
const onehot = lib.tensor(Array.from({ length: batch }, (_, i) => [0, 1, 2, 3, 4].map((j) => (j === i % 5 ? 1 : 0))).flat(), [batch, 5]);
const step = async () => {
  const loss = lib.tidy(() => {
    // DrGradeNet returns { logits }; DenseNet the logits.
    const out = model.forward(x);
    const l = (out.logits ?? out).logSoftmax(1).mul(onehot).sum().mul(-1 / batch);
    l.backward();
    return l;
  });
  opt.step();
  opt.zeroGrad();
  await loss.item();
  loss.dispose();
};
// Warm-up: compiles the kernels, lets the autotuner choose (persisted), creates SGD's momentum.
await step();
await lib.tunePending();
await step();
const times = [];
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  await step();
  times.push(performance.now() - t0);
}
const oursMs = times.sort((a, b) => a - b)[1];
const prof = await lib.profile(step);

/** Families of work, each named by our op names and by PyTorch's ATen op names. */
const FAMILIES = [
  { name: 'convolution forward', ours: (op) => op === 'conv2d', torch: /^aten::(mkldnn_convolution|_slow_conv2d_forward|thnn_conv2d|conv2d|_convolution|convolution)$/ },
  { name: 'convolution gradients', ours: (op) => op.startsWith('conv2d backward'), torch: /convolution_backward|conv2d_backward/ },
  { name: 'batch norm (forward and backward)', ours: (op) => op.startsWith('batchNorm'), torch: /batch_norm/i },
];

function torchProfile() {
  if (argv.includes('--no-torch') || !spec.torch) return null;
  const py = spawnSync('/usr/bin/python3', [`${root}bench/torch-step-profile.py`], { encoding: 'utf8' });
  if (py.status !== 0) return null;
  return JSON.parse(py.stdout.trim().split('\n').pop());
}
const torch = torchProfile();

const rows = FAMILIES.map((f) => ({
  family: f.name,
  oursMs: prof.ops.filter((o) => f.ours(o.op)).reduce((s, o) => s + o.ms, 0),
  torchMs: torch ? Object.entries(torch.ops).filter(([k]) => f.torch.test(k)).reduce((s, [, v]) => s + v[1], 0) : null,
}));
const torchTotal = torch ? Object.values(torch.ops).reduce((s, v) => s + v[1], 0) : null;
rows.push(
  { family: 'everything else', oursMs: prof.deviceMs - rows.reduce((s, r) => s + r.oursMs, 0), torchMs: torch ? torchTotal - rows.reduce((s, r) => s + r.torchMs, 0) : null },
  { family: 'profiled step', oursMs: prof.deviceMs, torchMs: torchTotal },
  { family: 'step, not profiled (median of 3 / of 5)', oursMs, torchMs: torch ? torch.seconds * 1000 : null },
);

if (json) {
  console.log(JSON.stringify({ adapter: info.name, stepMs: oursMs, profile: prof, rows, torch }));
} else {
  console.log(`${spec.title}, one SGD step at ${batch}x3x${size}x${size} — adapter: ${info.name}` +
    `; PyTorch: ${torch ? `${torch.torch}, CPU, ${torch.threads} threads` : spec.torch ? 'not measured (no /usr/bin/python3 with torch, or --no-torch)' : 'not measured for this model'}`);
  console.log(`Profiled step: ${prof.dispatches} dispatches, ${prof.deviceMs.toFixed(0)} ms of device time.\n`);
  console.log('| work | ours ms | PyTorch ms | ours / PyTorch |\n|---|---:|---:|---:|');
  for (const r of rows) {
    const t = r.torchMs === null ? '–' : r.torchMs.toFixed(0);
    const ratio = r.torchMs ? `${(r.oursMs / r.torchMs).toFixed(1)}x` : '–';
    console.log(`| ${r.family} | ${r.oursMs.toFixed(0)} | ${t} | ${ratio} |`);
  }
  console.log('\n| op | calls | device ms | share |\n|---|---:|---:|---:|');
  for (const o of prof.ops) console.log(`| ${o.op} | ${o.calls} | ${o.ms.toFixed(1)} | ${(100 * o.ms / prof.deviceMs).toFixed(1)} % |`);
  console.log(`\n| kernel (top ${topKernels}) | op | calls | device ms |\n|---|---|---:|---:|`);
  for (const k of prof.kernels.slice(0, topKernels)) console.log(`| \`${k.kernel}\` | ${k.op} | ${k.calls} | ${k.ms.toFixed(1)} |`);
}
