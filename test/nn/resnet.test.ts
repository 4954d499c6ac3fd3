// ResNet against torchvision (test/fixtures/gen_backbone_goldens.py): resnet18 (BasicBlock) and
// resnet50 (Bottleneck) at full depth and a width divided by 8 load torchvision's state dicts
// by name; eval logits, train-mode logits, input and parameter gradients and the updated running
// statistics match PyTorch's float64 pass; the stages are callable modules; loading is strict.
// resnet50's train-mode case is conditioned so float32 can match it: small last batch-norm weights
// in each bottleneck (as trained), and a draw with every ReLU input 10x PyTorch's float32 error
// from 0. PyTorch's own float32 error on it is at most 5.5e-6, so the slack (3x that) stays under
// 1e-4 and every value is held to 1e-4 relative; drgrade measures 6e-6 (lavapipe) and 1e-5
// (SwiftShader) on the parameter gradients.
import { getDevice, tensor, tidy } from '@drgrade/tensor';
import { resnet18, resnet50, StateDictError } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withPrefix } from '../helpers/nn.ts';
import { checkAgainstTorchvision, loadBackboneFixture, type BackboneFixture } from './backbone-golden.ts';

let f: BackboneFixture;

test.before(async () => {
  await getDevice();
  f = await loadBackboneFixture('nn_resnet');
});

for (const [name, make] of [['resnet18', resnet18], ['resnet50', resnet50]] as const) {
  test(`${name} (width / 8): eval logits, train-mode gradients and running statistics match torchvision`, async () => {
    const c = f.cases.get(name)!;
    const slack = 3 * Math.max(...Object.values(c.float32Error));
    assert.ok(slack < 1e-4, `${name}: PyTorch's float32 error would loosen the comparison to ${slack.toExponential(1)}`);
    const net = make({ numClasses: c.numClasses, widthDivisor: c.widthDivisor });
    await checkAgainstTorchvision(f, name, net, (x) => ({ logits: net.forward(x) }));
    net.dispose();
  });
}

test('the stages are public modules: stem, layer1..layer4 in turn give forward\'s features', async () => {
  const net = resnet50({ numClasses: 0, widthDivisor: 8 });
  net.loadStateDict(withPrefix(f.tensors, 'resnet50/state/'), { strict: false });
  net.eval();
  const x = tensor(f.golden.get('resnet50/x')!.data, [2, 3, 65, 65]);
  const [byStages, pooled] = tidy(() => {
    const c4 = net.layer4.forward(net.layer3.forward(net.layer2.forward(net.layer1.forward(net.stem(x)))));
    return [c4, net.forward(x)];
  });
  assert.equal([...byStages.shape], [2, 256, 3, 3]);
  assert.equal(net.stageChannels, [32, 64, 128, 256]);
  assert.equal([...pooled.shape], [2, 256], 'numClasses 0 leaves fc out');
  const a = await byStages.mean([2, 3]).toArray();
  const b = await pooled.toArray();
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) <= 1e-5 * Math.max(1, Math.abs(v)), `pooled feature ${i}`));
  [x, byStages, pooled].forEach((t) => t.dispose());
  net.dispose();
});

test('loading is strict: a missing or an unexpected torchvision key is an error naming it', () => {
  const c = f.cases.get('resnet18')!;
  const net = resnet18({ numClasses: c.numClasses, widthDivisor: c.widthDivisor });
  const state = withPrefix(f.tensors, 'resnet18/state/');
  const missing = new Map(state);
  missing.delete('layer3.0.downsample.1.running_var');
  assert.throws(() => net.loadStateDict(missing), (e: unknown) => e instanceof StateDictError
    && /missing key\(s\) \(1\): layer3\.0\.downsample\.1\.running_var/.test(e.message));
  const extra = new Map(state);
  extra.set('layer1.0.conv3.weight', state.get('layer1.0.conv2.weight')!);
  assert.throws(() => net.loadStateDict(extra), (e: unknown) => e instanceof StateDictError
    && /unexpected key\(s\) \(1\): layer1\.0\.conv3\.weight/.test(e.message));
  // A ResNet-50 checkpoint into a ResNet-18: every bottleneck key is unexpected.
  assert.throws(() => net.loadStateDict(withPrefix(f.tensors, 'resnet50/state/')), /unexpected key\(s\) \(\d+\): .*layer1\.0\.conv3\.weight/);
  net.dispose();
});

test('widthDivisor must divide every channel count', () => {
  assert.throws(() => resnet18({ widthDivisor: 3 }), /ResNet: widthDivisor 3 must be a positive integer dividing every channel count \(64 is not divisible\)/);
});

test.after(() => { for (const t of f.tensors.values()) t.dispose(); });

test.run();
