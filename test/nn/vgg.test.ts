// VGG and the paper's two baselines against PyTorch: torchvision's VGG layout (eval logits of a
// narrow VGG16-shaped net), HBP on relu5_1/5_2/5_3 and B-CNN on relu5_3 (logits, embeddings and
// input and parameter gradients of a loss on both), and the VGG16 preset's names and sizes.
import { getDevice, tensor, tidy, type Tensor } from '@drgrade/tensor';
import { VGG, vgg16, VGGBCNN, VGGHBP } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadGolden, loadGoldenCases, type GoldenTensor } from '../helpers/index.ts';
import { assertMatches, assertParamGrads, goldenOf, loadFixtureTensors, withPrefix, type ModelCase } from '../helpers/nn.ts';

interface VGGCase extends ModelCase { cfg: (number | 'M')[] }

let golden: Map<string, GoldenTensor>;
let fixture: Map<string, Tensor>;
let cases: Map<string, VGGCase>;

test.before(async () => {
  await getDevice();
  golden = await loadGolden('data/nn_vgg');
  fixture = await loadFixtureTensors('data/nn_vgg');
  cases = new Map((await loadGoldenCases<VGGCase>('data/nn_vgg')).map((c) => [c.name, c]));
});

const fromGolden = (key: string, requiresGrad = false) => tensor(goldenOf(golden, key).data, goldenOf(golden, key).shape, { requiresGrad });

test('VGG16 layout: torchvision\'s names and sizes; paper layer names resolve to indices', () => {
  const small = new VGG({ cfg: cases.get('vgg')!.cfg, classifierWidth: 8, numClasses: 3 });
  assert.is(small.layerIndex.get('relu5_3'), '29');
  assert.is(small.layerIndex.get('pool5'), '30');
  assert.is(small.layerIndex.get('conv1_1'), '0');
  small.dispose();
  // torchvision's vgg16 features hold 14,714,688 parameters; the classifier (narrowed here to
  // keep the test light, 4096 by default) reads 512·7·7 inputs.
  const net = vgg16({ classifierWidth: 1, numClasses: 1 });
  assert.is(net.features.parameters().reduce((s, p) => s + p.size, 0), 14714688);
  assert.equal(net.namedParameters().slice(-6).map(([n, p]) => `${n} [${p.shape.join(', ')}]`), [
    'classifier.0.weight [1, 25088]', 'classifier.0.bias [1]', 'classifier.3.weight [1, 1]', 'classifier.3.bias [1]',
    'classifier.6.weight [1, 1]', 'classifier.6.bias [1]',
  ]);
  net.dispose();
});

test('plain VGG (narrow classifier): eval logits match PyTorch', async () => {
  const c = cases.get('vgg')!;
  const net = new VGG({ cfg: c.cfg, classifierWidth: 32, numClasses: 5 });
  net.loadStateDict(withPrefix(fixture, 'vgg/state/'));
  net.eval();
  const x = fromGolden('vgg/x');
  const logits = tidy(() => net.forward(x));
  await assertMatches(logits, golden, c, 'vgg/eval/logits');
  [x, logits].forEach((t) => t.dispose());
  net.dispose();
});

for (const head of ['hbp', 'bcnn'] as const) {
  test(`VGG + ${head === 'hbp' ? 'HBP (relu5_1, relu5_2, relu5_3)' : 'B-CNN (relu5_3)'}: logits, embedding and gradients match PyTorch`, async () => {
    const c = cases.get(head)!;
    const net = head === 'hbp' ? new VGGHBP({ cfg: c.cfg, projDim: 32, numClasses: 5 }) : new VGGBCNN({ cfg: c.cfg, numClasses: 5 });
    net.loadStateDict(withPrefix(fixture, `${head}/state/`));
    const x = fromGolden(`${head}/x`, true);
    const rl = fromGolden(`${head}/r/logits`);
    const re = fromGolden(`${head}/r/embedding`);
    const out = tidy(() => {
      const o = net.forward(x);
      o.logits.mul(rl).sum().add(o.embedding.mul(re).sum()).backward();
      return o;
    });
    await assertMatches(out.logits, golden, c, `${head}/logits`);
    await assertMatches(out.embedding, golden, c, `${head}/embedding`);
    await assertMatches(x.grad!, golden, c, `${head}/grad/x`);
    await assertParamGrads(net, golden, c, `${head}/`);
    [x, rl, re, out.logits, out.embedding].forEach((t) => { t.grad?.dispose(); t.dispose(); });
    net.dispose();
  });
}

test('the HBP head with a shared projection has one set of projection weights', () => {
  const net = new VGGHBP({ cfg: cases.get('hbp')!.cfg, projDim: 8, numClasses: 5, shared: true });
  assert.equal(net.hbp.namedParameters().map(([n]) => n), ['proj.weight', 'proj.bias', 'fc_concat.weight', 'fc_concat.bias']);
  net.dispose();
  assert.throws(() => new VGGHBP({ cfg: [4, 'M', 8, 8, 'M', 16], layers: ['relu1_1', 'relu2_2', 'relu3_1'], shared: true }),
    /a shared projection needs equal input channels, got \[4, 8, 16\]/);
  assert.throws(() => new VGGBCNN({ cfg: [4, 'M'], layer: 'relu5_3' }), /VGG: no layer 'relu5_3' \(known: conv1_1, relu1_1, pool1\)/);
});

test.after(() => { for (const t of fixture.values()) t.dispose(); });

test.run();
