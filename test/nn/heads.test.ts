// The DFL and PMG heads and PMG's jigsaw against PyTorch (gen_head_goldens.py: the authors' heads
// on small feature maps), DFL's filter-bank initialisation on patches whose k-means centres are
// known by construction, and the AG_Net fusion against probabilities averaged by hand.
import { Generator, getDevice, tensor, tidy, type Tensor } from '@drgrade/tensor';
import { averageProbabilities, DFLHead, jigsaw, jigsawOrder, peakPatches, PMGHead, type SupervisedOutput } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, loadGolden, loadGoldenCases, type GoldenTensor } from '../helpers/index.ts';
import { assertMatches, assertParamGrads, goldenOf, loadFixtureTensors, withPrefix, type ModelCase } from '../helpers/nn.ts';

interface JigsawCase extends ModelCase { n: number; order: number[] }

let golden: Map<string, GoldenTensor>;
let fixture: Map<string, Tensor>;
let cases: Map<string, ModelCase>;

test.before(async () => {
  await getDevice();
  golden = await loadGolden('data/nn_heads');
  fixture = await loadFixtureTensors('data/nn_heads');
  cases = new Map((await loadGoldenCases<ModelCase>('data/nn_heads')).map((c) => [c.name, c]));
});

const fromGolden = (key: string, requiresGrad = false) => tensor(goldenOf(golden, key).data, goldenOf(golden, key).shape, { requiresGrad });

/** Eval outputs, then a train-mode forward and backward of Σ sum(out · r) over the terms and the prediction, all against PyTorch. */
async function checkHead<In extends Tensor[]>(name: string, head: { forward(x: In): SupervisedOutput; train(on?: boolean): unknown; eval(): unknown } & Parameters<typeof assertParamGrads>[0], inputs: string[]): Promise<void> {
  const c = cases.get(name)!;
  const xs = inputs.map((k) => fromGolden(`${name}/${k}`, true)) as In;
  head.eval();
  const evalOut = tidy(() => head.forward(xs));
  for (const t of evalOut.terms) await assertMatches(t.logits, golden, c, `${name}/eval/${t.name}`);
  await assertMatches(evalOut.logits, golden, c, `${name}/eval/logits`);
  head.train();
  const r = (k: string) => fromGolden(`${name}/r/${k}`);
  const out = tidy(() => {
    const o = head.forward(xs);
    o.terms.reduce((s, t) => s.add(t.logits.mul(r(t.name)).sum()), o.logits.mul(r('logits')).sum()).backward();
    return o;
  });
  for (const t of out.terms) await assertMatches(t.logits, golden, c, `${name}/out/${t.name}`);
  await assertMatches(out.logits, golden, c, `${name}/out/logits`);
  for (const [i, k] of inputs.entries()) await assertMatches(xs[i]!.grad!, golden, c, `${name}/grad/${k}`);
  await assertParamGrads(head, golden, c, `${name}/`);
  for (const [k, b] of head.namedBuffers()) await assertMatches(b, golden, c, `${name}/after/${k}`, `${k} after the train-mode pass`);
  [...xs, ...evalOut.terms.map((t) => t.logits), evalOut.logits, ...out.terms.map((t) => t.logits), out.logits].forEach((t) => { t.grad?.dispose(); t.dispose(); });
}

test('DFL head (G-Stream, P-Stream with global max pooling, side branch): outputs and gradients match PyTorch', async () => {
  const head = new DFLHead({ midChannels: 12, deepChannels: 16, numClasses: 5, k: 3 });
  head.loadStateDict(withPrefix(fixture, 'dfl/state/'));
  assert.equal(head.stateDict().size, 6);
  await checkHead<[Tensor, Tensor]>('dfl', head, ['mid', 'deep']);
  head.dispose();
});

test('PMG head (conv blocks, BN1d/ELU classifiers, concatenation): train-mode outputs, gradients and running statistics match PyTorch', async () => {
  const head = new PMGHead({ inChannels: [8, 12, 16], featureSize: 6, numClasses: 5 });
  head.loadStateDict(withPrefix(fixture, 'pmg/state/'));
  assert.equal(head.namedParameters().map(([n]) => n).slice(0, 3), ['conv_block1.0.conv.weight', 'conv_block1.0.bn.weight', 'conv_block1.0.bn.bias']);
  await checkHead<[Tensor, Tensor, Tensor]>('pmg', head, ['x3', 'x4', 'x5']);
  head.dispose();
});

test('jigsaw moves tile order[j] to position j (remainder rows and columns stay) and sends gradients back through the same permutation', async () => {
  const c = cases.get('jigsaw')! as JigsawCase;
  const x = fromGolden('jigsaw/x', true);
  const r = fromGolden('jigsaw/r');
  const out = tidy(() => {
    const y = jigsaw(x, c.n, c.order);
    y.mul(r).sum().backward();
    return y;
  });
  assertClose(await out.toArray(), goldenOf(golden, 'jigsaw/out').data, { rtol: 0, atol: 0, label: 'jigsaw output' });
  assertClose(await x.grad!.toArray(), goldenOf(golden, 'jigsaw/grad/x').data, { rtol: 0, atol: 0, label: 'jigsaw gradient' });
  assert.throws(() => jigsaw(x, 3, [0, 1, 2]), /order must be a permutation of 0..8/);
  assert.throws(() => jigsaw(x, 11, jigsawOrder(11, new Generator(1))), /10x11 images cannot be cut into 11x11 tiles/);
  const order = jigsawOrder(8, new Generator(3));
  assert.equal([...order].sort((a, b) => a - b), Array.from({ length: 64 }, (_, i) => i));
  assert.not.equal(order, Array.from({ length: 64 }, (_, i) => i));
  [x, r, out].forEach((t) => { t.grad?.dispose(); t.dispose(); });
});

test('DFL filter bank initialisation: per class, the k-means centres of its peak patches, L2-normalised, bias 0', async () => {
  // Two images of 3 channels on a 3x4 grid. Image 0 peaks at (0,0) with (3,0,0)·2 and at (2,3)
  // with (0,4,0); image 1 peaks at (0,3) with (0,0,2) and at (2,0) with (1,0,0); the other
  // locations are small neighbours of those peaks or zero.
  const [n, c, h, w] = [2, 3, 3, 4];
  const maps = new Float32Array(n * c * h * w);
  const put = (img: number, y: number, x: number, v: number[]) => v.forEach((val, ch) => { maps[((img * c + ch) * h + y) * w + x] = val; });
  put(0, 0, 0, [6, 0, 0]); put(0, 0, 1, [1, 0, 0]); put(0, 2, 3, [0, 4, 0]); put(0, 2, 2, [0, 0.5, 0.5]);
  put(1, 0, 3, [0, 0, 2]); put(1, 2, 0, [1, 0, 0]); put(1, 1, 0, [0.5, 0, 0]);
  const patches = peakPatches(maps, [n, c, h, w], 3);
  assert.equal(patches.map((p) => p.map((v) => Array.from(v))), [[[1, 0, 0], [0, 1, 0]], [[0, 0, 1], [1, 0, 0]]]);
  // Class 0 gets image 0's patches and class 1 image 1's, k = 2: the centres are the patches themselves.
  // Class 2 has three patches for two filters: (1,0,0) alone, and (0,0.6,0.8), (0,0.8,0.6) averaged to (0,0.7,0.7) → (0,1,1)/√2.
  const head = new DFLHead({ midChannels: 3, deepChannels: 2, numClasses: 4, k: 2 });
  const before = (await head.conv6.weight.toArray()).slice(6 * 3);
  await head.initializeFilterBank([patches[0]!, patches[1]!, [[1, 0, 0], [0, 0.6, 0.8], [0, 0.8, 0.6]].map((v) => Float32Array.from(v))]);
  const weight = await head.conv6.weight.toArray();
  const s = Math.SQRT1_2;
  assertClose(weight.slice(0, 18), [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, s, s], { rtol: 0, atol: 1e-6, label: 'filters of classes 0-2' });
  assert.equal(Array.from(weight.slice(18)), Array.from(before), 'class 3 had no patches: random filters kept');
  assert.equal(Array.from((await head.conv6.bias!.toArray()).slice(0, 6)), [0, 0, 0, 0, 0, 0]);
  head.dispose();
});

test('AG_Net fusion: the softmax of the fused scores is the members\' probabilities averaged', async () => {
  const alex = [0.5, 0.25, 0.25, 0.7, 0.1, 0.2];
  const goog = [0.1, 0.2, 0.7, 0.1, 0.3, 0.6];
  const fused = tidy(() => averageProbabilities([tensor(alex.map(Math.log), [2, 3]), tensor(goog.map((p) => Math.log(p) + 4), [2, 3])]).softmax(1));
  assertClose(await fused.toArray(), [0.3, 0.225, 0.475, 0.4, 0.2, 0.4], { rtol: 0, atol: 3e-7, label: 'averaged probabilities' });
  fused.dispose();
  // Scores far apart (probabilities that underflow in float32) stay finite.
  const far = tidy(() => averageProbabilities([tensor([200, -200], [1, 2]), tensor([-200, 200], [1, 2])]));
  assertClose(await far.toArray(), [Math.log(0.5), Math.log(0.5)], { rtol: 1e-6, atol: 0, label: 'log of 0.5 each' });
  far.dispose();
});

test.after(() => { for (const t of fixture.values()) t.dispose(); });

test.run();
