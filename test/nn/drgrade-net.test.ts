// The paper's model against a PyTorch build of it (test/fixtures/gen_nn_goldens.py): a small
// DSOD DenseNet + torchvision FPN + HBP, eval and train-mode logits and embedding, and input and
// parameter gradients; the default configuration's structure.
import { getDevice, tensor, tidy, type Tensor } from '@drgrade/tensor';
import { DrGradeNet } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadGolden, loadGoldenCases, type GoldenTensor } from '../helpers/index.ts';
import { assertMatches, assertParamGrads, goldenOf, loadFixtureTensors, withPrefix, type ModelCase } from '../helpers/nn.ts';

let golden: Map<string, GoldenTensor>;
let fixture: Map<string, Tensor>;
let c: ModelCase;

test.before(async () => {
  await getDevice();
  golden = await loadGolden('data/nn_drgrade');
  fixture = await loadFixtureTensors('data/nn_drgrade');
  c = (await loadGoldenCases<ModelCase>('data/nn_drgrade'))[0]!;
});

const fromGolden = (key: string, requiresGrad = false) => tensor(goldenOf(golden, key).data, goldenOf(golden, key).shape, { requiresGrad });
const small = () => new DrGradeNet({
  backbone: { growthRate: 8, blockConfig: [2, 2, 2, 2], numInitFeatures: 16, bnSize: 2, dsodStemWidth: 8 },
  fpnChannels: 12, projDim: 16, numClasses: 5,
});

test('eval and train mode: logits, embedding, input and parameter gradients match PyTorch', async () => {
  const net = small();
  net.loadStateDict(withPrefix(fixture, 'state/'));
  const x = fromGolden('x', true);
  net.eval();
  const evalOut = tidy(() => net.forward(x));
  await assertMatches(evalOut.logits, golden, c, 'eval/logits');
  await assertMatches(evalOut.embedding, golden, c, 'eval/embedding');
  net.train();
  const rl = fromGolden('r/logits');
  const re = fromGolden('r/embedding');
  const out = tidy(() => {
    const o = net.forward(x);
    o.logits.mul(rl).sum().add(o.embedding.mul(re).sum()).backward();
    return o;
  });
  await assertMatches(out.logits, golden, c, 'train/logits');
  await assertMatches(out.embedding, golden, c, 'train/embedding');
  await assertMatches(x.grad!, golden, c, 'grad/x');
  await assertParamGrads(net, golden, c);
  [x, rl, re, evalOut.logits, evalOut.embedding, out.logits, out.embedding].forEach((t) => { t.grad?.dispose(); t.dispose(); });
  net.dispose();
});

test('defaults: DenseNet169 with the DSOD stem (128 initial features), FPN 256 on C3/C4/C5, HBP D = 8192, 5 classes', () => {
  const net = new DrGradeNet();
  const s = net.backbone.stageChannels;
  assert.equal([s.denseblock2, s.denseblock3, s.norm5], [544, 1296, 1672]);
  assert.ok(net.backbone.stateDict().has('features.stem_conv3.weight'));
  assert.ok(!net.backbone.stateDict().has('features.transition3.pool'));
  assert.equal([...net.hbp.projections[0]!.weight.shape], [8192, 256, 1, 1]);
  assert.equal([...net.hbp.fcConcat.weight.shape], [5, 3 * 8192]);
  assert.is(net.backbone.classifier, null);
  net.dispose();
});

test.after(() => { for (const t of fixture.values()) t.dispose(); });

test.run();
