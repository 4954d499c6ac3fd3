// Train a small convolutional network with @drgrade/tensor and @drgrade/nn, PyTorch style.
//
//   node examples/train-cnn.mjs
//
// The data are random 12x12 noise images with a learnable signal: each of three classes brightens
// a different corner patch. Nothing is downloaded; the loss printed each epoch goes down and the
// accuracy goes up. Runs on whatever WebGPU adapter getDevice() finds (a GPU, else a CPU driver).
import { getDevice, tensor, tidy, noGrad, manualSeed } from '@drgrade/tensor';
import { Module, Conv2d, MaxPool2d, Linear, Adam } from '@drgrade/nn';

const CLASSES = 3, SIZE = 12, TRAIN = 384, HELD_OUT = 192, BATCH = 32, EPOCHS = 8;

// A seeded generator for the data (Math.random is not seedable), so every run prints the same.
let state = 7;
const uniform = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
const gauss = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());

/** n images [n, 1, SIZE, SIZE] of unit noise, class c adding +0.5 to a 4x4 patch in corner c. */
function makeData(n) {
  const x = new Float32Array(n * SIZE * SIZE), onehot = new Float32Array(n * CLASSES), labels = [];
  for (let i = 0; i < n; i++) {
    const c = i % CLASSES;
    const [top, left] = [[0, 0], [0, SIZE - 4], [SIZE - 4, 0]][c];
    for (let p = 0; p < SIZE * SIZE; p++) x[i * SIZE * SIZE + p] = gauss();
    for (let r = top; r < top + 4; r++) for (let q = left; q < left + 4; q++) x[i * SIZE * SIZE + r * SIZE + q] += 0.5;
    onehot[i * CLASSES + c] = 1;
    labels.push(c);
  }
  return { x, onehot, labels };
}

// A module is a class: children are registered (their parameters are then the model's), and
// forward says how they connect, as in torch.nn.Module.
class SmallCnn extends Module {
  constructor() {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(1, 8, 3, { padding: 1 }));
    this.conv2 = this.registerModule('conv2', new Conv2d(8, 16, 3, { padding: 1 }));
    this.pool = this.registerModule('pool', new MaxPool2d({ kernelSize: 2 }));
    this.fc = this.registerModule('fc', new Linear(16 * 3 * 3, CLASSES));
  }

  forward(x) {
    const h = this.pool.forward(this.conv2.forward(this.pool.forward(this.conv1.forward(x).relu())).relu());
    return this.fc.forward(h.flatten(1));
  }
}

await getDevice();
manualSeed(0); // the weights' initialisation
const data = makeData(TRAIN);
const model = new SmallCnn();
const optimizer = new Adam(model.parameters(), { lr: 0.003 });

for (let epoch = 0; epoch < EPOCHS; epoch++) {
  let lossSum = 0, correct = 0;
  for (let start = 0; start < TRAIN; start += BATCH) {
    const pixels = SIZE * SIZE;
    const x = tensor(data.x.subarray(start * pixels, (start + BATCH) * pixels), [BATCH, 1, SIZE, SIZE]);
    const y = tensor(data.onehot.subarray(start * CLASSES, (start + BATCH) * CLASSES), [BATCH, CLASSES]);
    // tidy frees every intermediate tensor of the step; the returned ones are kept.
    const { loss, predicted } = tidy(() => {
      const logits = model.forward(x);
      const loss = logits.logSoftmax(1).mul(y).sum().mul(-1 / BATCH); // cross-entropy
      loss.backward();
      return { loss, predicted: noGrad(() => logits.argmax(1)) };
    });
    optimizer.step();
    optimizer.zeroGrad();
    lossSum += (await loss.item()) * BATCH;
    const guesses = await predicted.toArray();
    guesses.forEach((g, i) => { if (g === data.labels[start + i]) correct++; });
    [x, y, loss, predicted].forEach((t) => t.dispose());
  }
  console.log(`epoch ${epoch + 1}: loss ${(lossSum / TRAIN).toFixed(4)}, training accuracy ${((100 * correct) / TRAIN).toFixed(1)} %`);
}

// Images the model never saw: eval mode, no autograd graph.
const test = makeData(HELD_OUT);
model.eval();
const guesses = await noGrad(() => tidy(() => model.forward(tensor(test.x, [HELD_OUT, 1, SIZE, SIZE])).argmax(1))).toArray();
const right = test.labels.filter((label, i) => guesses[i] === label).length;
console.log(`held-out accuracy ${((100 * right) / HELD_OUT).toFixed(1)} % (chance ${(100 / CLASSES).toFixed(1)} %)`);
model.dispose();
process.exit(0); // the WebGPU instance keeps Node's event loop alive
