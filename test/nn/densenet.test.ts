// DenseNet against torchvision (test/fixtures/gen_nn_goldens.py): a small torchvision DenseNet's
// state dict (random weights, nonzero BN statistics, int64 batch counters) loads by name; eval
// logits, train-mode input and parameter gradients and the updated running statistics match
// PyTorch's, and so do a forward hook's captured block output and gradient (Grad-CAM's inputs);
// the DSOD variant (3x3 stem, unpooled last transition) matches a PyTorch build of it; so does
// training with memoryEfficient (bottlenecks recomputed in backward), which keeps less; training
// steps leave memory flat.
import { getDevice, memoryStats, tensor, tidy, type Tensor } from '@drgrade/tensor';
import { captureOutput, DenseNet, densenet169, SGD } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadGolden, loadGoldenCases, type GoldenTensor } from '../helpers/index.ts';
import { assertMatches, assertParamGrads, goldenOf, loadFixtureTensors, withPrefix, type ModelCase } from '../helpers/nn.ts';

let golden: Map<string, GoldenTensor>;
let fixture: Map<string, Tensor>;
let cases: Map<string, ModelCase>;

test.before(async () => {
  await getDevice();
  golden = await loadGolden('data/nn_densenet');
  fixture = await loadFixtureTensors('data/nn_densenet');
  cases = new Map((await loadGoldenCases<ModelCase>('data/nn_densenet')).map((c) => [c.name, c]));
});

const small = { growthRate: 8, blockConfig: [2, 2, 2, 2], numInitFeatures: 16, bnSize: 2, numClasses: 5 };
const fromGolden = (key: string, requiresGrad = false) => tensor(goldenOf(golden, key).data, goldenOf(golden, key).shape, { requiresGrad });

test('torchvision names: the state dict has exactly the keys, order and shapes of torchvision\'s', () => {
  const net = new DenseNet(small);
  const describe = (sd: Map<string, Tensor>) => [...sd].map(([k, t]) => `${k} [${t.shape.join(', ')}]`);
  assert.equal(describe(net.stateDict()), describe(withPrefix(fixture, 'state/')));
  assert.is(net.stageChannels.denseblock4, 32);
  net.dispose();
  // The preset's sizes without loading weights: torchvision's densenet169 has 14,149,480 parameters.
  const big = densenet169();
  assert.is(big.parameters().reduce((s, p) => s + p.size, 0), 14149480);
  assert.ok(big.stateDict().has('features.denseblock3.denselayer32.conv2.weight'));
  assert.is(big.stageChannels.norm5, 1664);
  big.dispose();
});

test('eval-mode logits match PyTorch', async () => {
  const net = new DenseNet(small);
  net.loadStateDict(withPrefix(fixture, 'state/'));
  net.eval();
  const x = fromGolden('x');
  const logits = tidy(() => net.forward(x));
  await assertMatches(logits, golden, cases.get('densenet')!, 'eval/logits');
  [x, logits].forEach((t) => t.dispose());
  net.dispose();
});

for (const memoryEfficient of [false, true]) {
  test(`train mode${memoryEfficient ? ' (memoryEfficient: bottlenecks recomputed in backward)' : ''}: logits, input and parameter gradients, and updated running statistics match PyTorch`, async () => {
    const c = cases.get('densenet')!;
    const net = new DenseNet({ ...small, memoryEfficient });
    net.loadStateDict(withPrefix(fixture, 'state/'));
    net.train();
    const x = fromGolden('x', true);
    const weights = fromGolden('r/logits');
    const cam = captureOutput(net.features.get('denseblock4'));
    const logits = tidy(() => {
      const y = net.forward(x);
      y.mul(weights).sum().backward();
      return y;
    });
    await assertMatches(logits, golden, c, 'train/logits');
    // Grad-CAM's inputs: the block's output and the gradient flowing into it, as PyTorch's retain_grad.
    await assertMatches(cam.output!, golden, c, 'hook/denseblock4/output');
    await assertMatches(cam.grad!, golden, c, 'hook/denseblock4/grad');
    cam.remove();
    await assertMatches(x.grad!, golden, c, 'grad/x');
    await assertParamGrads(net, golden, c);
    for (const [name, buf] of net.namedBuffers()) await assertMatches(buf, golden, c, `after/${name}`);
    [x, weights, logits].forEach((t) => { t.grad?.dispose(); t.dispose(); });
    net.dispose();
  });
}

test('DSOD variant (three 3x3 convs + 2x2 max pool, last transition unpooled): eval logits match PyTorch', async () => {
  const net = new DenseNet({ ...small, stem: 'dsod', dsodStemWidth: 8, poolLastTransitions: false });
  net.loadStateDict(withPrefix(fixture, 'dsod/state/'));
  net.eval();
  const x = fromGolden('x');
  const [block3, block4] = tidy(() => net.forwardStages(x, ['denseblock3', 'denseblock4']));
  assert.equal([...block3!.shape.slice(2)], [...block4!.shape.slice(2)], 'the unpooled last transition keeps the resolution');
  const logits = tidy(() => net.forward(x));
  await assertMatches(logits, golden, cases.get('dsod')!, 'dsod/eval/logits');
  [x, logits, block3!, block4!].forEach((t) => t.dispose());
  net.dispose();
});

test('memoryEfficient keeps less for backward: the forward of the same net leaves fewer bytes in use', async () => {
  const x = fromGolden('x', true);
  const kept = (memoryEfficient: boolean) => {
    const net = new DenseNet({ ...small, blockConfig: [6, 6, 6, 6], memoryEfficient });
    net.train();
    let bytes = 0;
    tidy(() => {
      const before = memoryStats().bytesInUse;
      net.forward(x);
      bytes = memoryStats().bytesInUse - before;
    });
    net.dispose();
    return bytes;
  };
  const plain = kept(false);
  const efficient = kept(true);
  assert.ok(efficient < 0.8 * plain, `memoryEfficient kept ${efficient} bytes, plain ${plain}`);
  x.dispose();
});

test('SGD training steps keep parameter identity and leave device memory flat', async () => {
  const net = new DenseNet(small);
  net.train();
  const opt = new SGD(net.parameters(), { lr: 0.01, momentum: 0.9, weightDecay: 1e-4 });
  const x = fromGolden('x');
  const weights = fromGolden('r/logits');
  const ids = net.parameters().map((p) => p.id);
  const step = async () => {
    const loss = tidy(() => {
      const l = net.forward(x).mul(weights).sum();
      l.backward();
      return l;
    });
    opt.step();
    opt.zeroGrad();
    await loss.item();
    loss.dispose();
    return memoryStats().bytesInUse;
  };
  await step();
  const after = await step();
  for (let i = 0; i < 3; i++) assert.is(await step(), after);
  assert.equal(net.parameters().map((p) => p.id), ids);
  opt.dispose();
  [x, weights].forEach((t) => t.dispose());
  net.dispose();
});

test.after(() => { for (const t of fixture.values()) t.dispose(); });

test.run();
