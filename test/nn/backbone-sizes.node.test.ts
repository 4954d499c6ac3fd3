// The backbones against torchvision's state dicts (names and shapes, in order, from
// test/fixtures/gen_backbone_goldens.py): ResNet-50, GoogLeNet and AlexNet at full size, with
// torchvision's published parameter counts (AlexNet's 9216x4096 weight, 144 MiB, in row shards
// where the adapter binds less, and whole in its file), ResNet-34 and ResNet-101 narrowed (their full sizes cost seconds of
// random initialisation each); and the initialisation, the distributions torchvision's
// constructors draw from. Node only: the models are large.
import { Generator, getDevice, maxTensorBytes, randn, tidy, type Tensor } from '@drgrade/tensor';
import { alexnet, decodeSafetensors, encodeSafetensors, googlenet, groupShards, loadSafetensors, resnet101, resnet34, resnet50, type Linear, type Module } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeState, loadBackboneFixture, narrowedKeys, type BackboneCase } from './backbone-golden.ts';

const cases = new Map<string, BackboneCase & { fullSizeKeysNoAux?: [string, number[]][] }>();

test.before(async () => {
  await getDevice();
  for (const file of ['nn_resnet', 'nn_alexnet', 'nn_googlenet']) {
    const f = await loadBackboneFixture(file);
    for (const [k, c] of f.cases) cases.set(k, c);
    for (const t of f.tensors.values()) t.dispose();
  }
});

const count = (net: Module<unknown, unknown>) => net.parameters().reduce((s, p) => s + p.size, 0);

// torchvision's documented sizes (its model pages' "num_params").
const SIZES: [string, () => Module<unknown, unknown>, number][] = [
  ['resnet50', () => resnet50(), 25557032],
  ['googlenet', () => googlenet({ auxLogits: false }), 6624904],
];

for (const [name, make, params] of SIZES) {
  test(`${name}: torchvision's state-dict names and shapes in order, ${params.toLocaleString('en')} parameters`, () => {
    const net = make();
    const c = cases.get(name)!;
    assert.equal(describeState(net), name === 'googlenet' ? c.fullSizeKeysNoAux : c.fullSizeKeys);
    assert.is(count(net), params);
    net.dispose();
  });
}

test('alexnet: 61,100,840 parameters; a weight larger than one binding is held in row shards, and its file has torchvision\'s names and shapes', async () => {
  const net = alexnet();
  const c = cases.get('alexnet')!;
  assert.is(count(net), 61100840);
  const whole = [...groupShards(net.stateDict(), (t) => t.shape)].map(([k, e]) => [k, e.shape]);
  assert.equal(whole, c.fullSizeKeys);
  const fc6 = net.classifier.get('1') as Linear;
  const bytes = 4096 * 9216 * 4;
  assert.ok(fc6.weightShards.every((w) => w.size * 4 <= maxTensorBytes()), 'every shard fits one binding');
  assert.is(fc6.weightShards.length > 1, bytes > maxTensorBytes(), `${fc6.weightShards.length} shard(s) of ${bytes} bytes, binding limit ${maxTensorBytes()}`);
  const file = await encodeSafetensors(net.stateDict());
  assert.equal([...decodeSafetensors(file, 'alexnet').tensors].map(([k, t]) => [k, t.shape]), c.fullSizeKeys);
  // Back into another network: the file's whole 9216x4096 weight lands in that network's shards.
  const again = alexnet();
  const loaded = await loadSafetensors(file);
  again.loadStateDict(loaded);
  const last = fc6.weightShards[fc6.weightShards.length - 1]!;
  const lastAgain = (again.classifier.get('1') as Linear).weightShards.at(-1)!;
  assert.equal(Array.from((await lastAgain.toArray()).subarray(-9216)), Array.from((await last.toArray()).subarray(-9216)));
  for (const t of loaded.values()) t.dispose();
  // It trains on this adapter: a backward pass reaches every shard with a finite, non-zero gradient.
  const x = randn([2, 3, 64, 64], { generator: new Generator(4) });
  tidy(() => again.forward(x).square().mean().backward());
  for (const w of (again.classifier.get('1') as Linear).weightShards) {
    const g = await w.grad!.toArray();
    assert.ok(g.every(Number.isFinite) && g.some((v) => v !== 0), `${w.name}: gradient finite and non-zero`);
  }
  x.dispose();
  net.dispose();
  again.dispose();
});

for (const [name, make] of [['resnet34', resnet34], ['resnet101', resnet101]] as const) {
  test(`${name} (width / 8): torchvision's state-dict names, and its shapes narrowed`, () => {
    const net = make({ widthDivisor: 8 });
    const c = cases.get(name)!;
    assert.equal(describeState(net), narrowedKeys({ ...c, widthDivisor: 8, numClasses: 1000 }, c.fullSizeKeys));
    net.dispose();
  });
}

test('googlenet with aux logits: torchvision\'s aux1/aux2 keys', () => {
  const net = googlenet();
  assert.equal(describeState(net), cases.get('googlenet')!.fullSizeKeys);
  net.dispose();
});

/** Mean and standard deviation of a tensor's values, and its largest magnitude. */
async function stats(t: Tensor): Promise<{ mean: number; std: number; max: number }> {
  const v = await t.toArray();
  let s = 0, s2 = 0, max = 0;
  for (const x of v) { s += x; s2 += x * x; max = Math.max(max, Math.abs(x)); }
  const mean = s / v.length;
  return { mean, std: Math.sqrt(s2 / v.length - mean * mean), max };
}

const near = (a: number, b: number, rel: number, label: string) => assert.ok(Math.abs(a - b) <= rel * b, `${label}: ${a} vs ${b}`);

test('initialisation as torchvision: ResNet convs N(0, 2/fan_out), BN 1 and 0, fc U(±1/√in)', async () => {
  const net = resnet50();
  const w = await stats(net.layer3.get('0').stateDict().get('conv2.weight')!);
  near(w.std, Math.sqrt(2 / (256 * 9)), 0.02, 'layer3.0.conv2 std');
  const stem = await stats(net.conv1.weight);
  near(stem.std, Math.sqrt(2 / (64 * 49)), 0.05, 'conv1 std');
  assert.equal([...await net.bn1.weight.toArray()].every((v) => v === 1), true);
  assert.equal([...await net.bn1.bias.toArray()].every((v) => v === 0), true);
  const fc = await stats(net.fc!.weight);
  const bound = 1 / Math.sqrt(2048);
  assert.ok(fc.max <= bound && fc.max > 0.99 * bound, `fc weight within ±1/√2048, max ${fc.max}`);
  near(fc.std, bound / Math.sqrt(3), 0.02, 'fc std (uniform)');
  net.dispose();
});

test('initialisation as torchvision: GoogLeNet conv and linear weights N(0, 0.01²); AlexNet PyTorch\'s defaults (U(±1/√fan_in))', async () => {
  const g = googlenet({ auxLogits: true });
  near((await stats(g.inception4e.branch2.stateDict().get('1.conv.weight')!)).std, 0.01, 0.02, 'inception4e.branch2.1.conv std');
  near((await stats(g.aux1!.fc1.weight)).std, 0.01, 0.02, 'aux1.fc1 std');
  near((await stats(g.fc.weight)).std, 0.01, 0.02, 'fc std');
  g.dispose();
  const a = alexnet({ widthDivisor: 2 });
  const conv = await stats(a.features.get('3').stateDict().get('weight')!);
  const bound = 1 / Math.sqrt(32 * 25);
  assert.ok(conv.max <= bound && conv.max > 0.99 * bound, `features.3 weight within ±1/√fan_in, max ${conv.max}`);
  a.dispose();
});

test.run();
