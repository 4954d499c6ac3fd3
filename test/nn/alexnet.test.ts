// AlexNet against torchvision (test/fixtures/gen_backbone_goldens.py) at a width divided by 16 and
// 127 px input, where the last feature map is 3x3 and the 6x6 adaptive average pool repeats its
// cells: eval logits, train-mode logits and input and parameter gradients match PyTorch's.
import { getDevice } from '@drgrade/tensor';
import { alexnet } from '@drgrade/nn';
import { test } from 'uvu';
import { checkAgainstTorchvision, loadBackboneFixture, type BackboneFixture } from './backbone-golden.ts';

let f: BackboneFixture;

test.before(async () => {
  await getDevice();
  f = await loadBackboneFixture('nn_alexnet');
});

test('alexnet (width / 16, dropout 0): eval logits and train-mode gradients match torchvision', async () => {
  const c = f.cases.get('alexnet')!;
  const net = alexnet({ numClasses: c.numClasses, dropout: 0, widthDivisor: c.widthDivisor });
  await checkAgainstTorchvision(f, 'alexnet', net, (x) => ({ logits: net.forward(x) }));
  net.dispose();
});

test.after(() => { for (const t of f.tensors.values()) t.dispose(); });

test.run();
