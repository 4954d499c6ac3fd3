// GoogLeNet against torchvision (test/fixtures/gen_backbone_goldens.py) at a width divided by 8
// and 129 px input (ceil-mode pools keep windows that start inside the input): eval logits, and
// in train mode the logits, both auxiliary logits, the input and parameter gradients of a loss on
// all three and the running statistics match PyTorch's float64 pass. The case is conditioned so
// float32 can match it: batch-norm biases that let most ReLUs pass (float32's error no longer grows
// 1.2x a layer), and a draw with every ReLU input and max-pool gap 10x PyTorch's float32 error from
// a tie. PyTorch's own float32 error on it is at most 9.6e-6, so the slack (3x that) stays under
// 1e-4 and every value is held to 1e-4 relative.
import { getDevice, tensor, tidy } from '@drgrade/tensor';
import { googlenet } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeState, checkAgainstTorchvision, loadBackboneFixture, narrowedKeys, type BackboneFixture } from './backbone-golden.ts';

interface GoogLeNetCase { fullSizeKeysNoAux: [string, number[]][] }

let f: BackboneFixture;

test.before(async () => {
  await getDevice();
  f = await loadBackboneFixture('nn_googlenet');
});

test('googlenet (width / 8, aux logits, dropout 0): eval logits, train-mode aux logits and gradients match torchvision', async () => {
  const c = f.cases.get('googlenet')!;
  const slack = 3 * Math.max(...Object.values(c.float32Error));
  assert.ok(slack < 1e-4, `googlenet: PyTorch's float32 error would loosen the comparison to ${slack.toExponential(1)}`);
  const net = googlenet({ numClasses: c.numClasses, auxLogits: true, dropout: 0, dropoutAux: 0, widthDivisor: c.widthDivisor });
  await checkAgainstTorchvision(f, 'googlenet', net, (x) => {
    const { logits, aux1, aux2 } = net.forwardWithAux(x);
    return { logits, aux1, aux2 };
  });
  net.dispose();
});

test('without aux logits the state dict has torchvision\'s keys without aux1/aux2, and forwardWithAux says why it cannot run', () => {
  const c = f.cases.get('googlenet')!;
  const net = googlenet({ numClasses: c.numClasses, auxLogits: false, widthDivisor: c.widthDivisor });
  const noAux = (c as unknown as GoogLeNetCase).fullSizeKeysNoAux;
  assert.equal(describeState(net), narrowedKeys(c, noAux));
  const x = tensor(new Float32Array(3 * 57 * 57), [1, 3, 57, 57]);
  assert.throws(() => net.forwardWithAux(x), /built with auxLogits: false; use forward\(\)/);
  net.dispose();
  const withAux = googlenet({ numClasses: c.numClasses, widthDivisor: c.widthDivisor });
  withAux.eval();
  assert.throws(() => withAux.forwardWithAux(x), /the auxiliary classifiers are for training; call train\(\) first/);
  const logits = tidy(() => withAux.forward(x));
  assert.equal([...logits.shape], [1, c.numClasses]);
  [x, logits].forEach((t) => t.dispose());
  withAux.dispose();
});

test.after(() => { for (const t of f.tensors.values()) t.dispose(); });

test.run();
