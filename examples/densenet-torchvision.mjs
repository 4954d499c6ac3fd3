// Load torchvision-named DenseNet weights from a safetensors file and run the network.
//
//   node examples/densenet-torchvision.mjs [weights.safetensors]
//
// drgrade's DenseNet has torchvision's module names, so a state dict saved from
// torchvision.models.densenet121() loads key for key. Nothing can be downloaded here, so by
// default the script reads a fixture of the repository: test/fixtures/data/nn_densenet.safetensors,
// written by test/fixtures/gen_nn_goldens.py from a small torchvision DenseNet (growth rate 8,
// blocks 2-2-2-2, 16 initial features, bottleneck 2, 5 classes; random weights) under `state/`,
// with an input batch `x` and PyTorch's eval-mode logits for it, `eval/logits`.
//
// For the real ImageNet weights, save them in Python, e.g. with the safetensors package
// (packages/nn/README.md shows a way without it), and pass the file:
//   save_file(torchvision.models.densenet121(weights="DEFAULT").state_dict(), "densenet121.safetensors")
//   node examples/densenet-torchvision.mjs densenet121.safetensors
import { fileURLToPath } from 'node:url';
import { getDevice, noGrad, randn, tidy } from '@drgrade/tensor';
import { DenseNet, densenet121, loadSafetensors } from '@drgrade/nn';

await getDevice();
const file = process.argv[2];
if (file) {
  // densenet121() is torchvision's densenet121: 1000 ImageNet classes, 224 x 224 inputs.
  const model = densenet121();
  const weights = await loadSafetensors(file);
  model.loadStateDict(weights); // strict: every name and shape must match, or it says which do not
  model.eval();
  const x = randn([1, 3, 224, 224]);
  const logits = noGrad(() => tidy(() => model.forward(x)));
  console.log(`${file}: ${weights.size} tensors loaded; logits ${logits.describe()}, top class ${await logits.argmax(1).item()}`);
  process.exit(0);
}

const fixture = fileURLToPath(new URL('../test/fixtures/data/nn_densenet.safetensors', import.meta.url));
const all = await loadSafetensors(fixture); // Map<name, Tensor>, in the file's order
// The file holds more than the state dict: keep the `state/` entries, under their own names.
const stateDict = new Map([...all].filter(([name]) => name.startsWith('state/')).map(([name, t]) => [name.slice('state/'.length), t]));
console.log(`${fixture}: ${stateDict.size} tensors, e.g. ${[...stateDict.keys()].slice(0, 3).join(', ')}`);

// The same architecture as the Python side: DenseNet(growth_rate=8, block_config=(2, 2, 2, 2), num_init_features=16, bn_size=2, num_classes=5).
const model = new DenseNet({ growthRate: 8, blockConfig: [2, 2, 2, 2], numInitFeatures: 16, bnSize: 2, numClasses: 5 });
model.loadStateDict(stateDict);
model.eval(); // batch norm uses the loaded running statistics, as torch's model.eval()

const x = all.get('x');
const logits = noGrad(() => tidy(() => model.forward(x)));
const ours = await logits.toArray();
const torchLogits = await all.get('eval/logits').toArray();
let worst = 0;
ours.forEach((v, i) => { worst = Math.max(worst, Math.abs(v - torchLogits[i])); });
console.log(`input ${x.describe()} → logits ${logits.describe()}`);
for (let n = 0; n < logits.shape[0]; n++) {
  const row = (a) => Array.from(a.slice(n * 5, n * 5 + 5), (v) => v.toFixed(4).padStart(8)).join(' ');
  console.log(`  image ${n}: drgrade ${row(ours)}\n           PyTorch ${row(torchLogits)}`);
}
console.log(`largest difference from PyTorch: ${worst.toExponential(2)}`);
model.dispose();
process.exit(0); // the WebGPU instance keeps Node's event loop alive
