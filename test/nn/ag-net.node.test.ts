// AGNet against its two members run apart (Node only: two torchvision-shaped networks are slow
// to build and run in a browser on a CPU adapter; the fusion itself is tested in both, heads.test.ts).
import { Generator, getDevice, tensor, tidy } from '@drgrade/tensor';
import { AGNet, alexnet, googlenet } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

test('AGNet: in eval its prediction averages AlexNet\'s and GoogLeNet\'s probabilities; in training it adds GoogLeNet\'s auxiliary classifiers at their weight', async () => {
  const g = new Generator(4);
  const net = new AGNet({ alexnet: alexnet({ numClasses: 5, widthDivisor: 8, generator: g }), googlenet: googlenet({ numClasses: 5, widthDivisor: 8, generator: g }), auxWeight: 0.3 });
  const x = tensor(Float32Array.from({ length: 2 * 3 * 64 * 64 }, (_, i) => Math.sin(i * 0.01)), [2, 3, 64, 64]);
  net.eval();
  const [fused, a, b] = tidy(() => [net.forward(x).logits.softmax(1), net.alexnet.forward(x).softmax(1), net.googlenet.forward(x).softmax(1)]);
  const pa = await a!.toArray(), pb = await b!.toArray();
  assertClose(await fused!.toArray(), pa.map((v, i) => (v + pb[i]!) / 2), { rtol: 0, atol: 1e-6, label: 'fused probabilities' });
  net.train();
  const out = tidy(() => net.forward(x));
  assert.equal(out.terms.map((t) => [t.name, t.weight]), [['alexnet', 1], ['googlenet', 1], ['googlenet.aux1', 0.3], ['googlenet.aux2', 0.3]]);
  [fused!, a!, b!, x, out.logits, ...out.terms.map((t) => t.logits)].forEach((t) => t.dispose());
  net.dispose();
});

test.run();
