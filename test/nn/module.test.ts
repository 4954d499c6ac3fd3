// Module mechanics: dotted names in PyTorch's order, train/eval, state dicts and their errors,
// forward hooks and gradient capture, Linear against a hand computation, seeded dropout, init.
import { Generator, getDevice, memoryStats, randn, tensor, tidy, type Tensor } from '@drgrade/tensor';
import {
  BatchNorm2d, captureOutput, Dropout, Identity, kaimingNormal, Linear, Module, ReLU, Sequential, StateDictError,
} from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

/** A torchvision-shaped toy: features (named children) and a classifier. */
class Toy extends Module {
  readonly features: Sequential;
  readonly classifier: Linear;
  constructor(seed = 1) {
    super();
    const generator = new Generator(seed);
    this.features = this.registerModule('features', new Sequential());
    this.features.add('norm0', new BatchNorm2d(3));
    this.features.add('relu0', new ReLU());
    this.classifier = this.registerModule('classifier', new Linear(12, 2, { generator }));
  }
  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.features.forward(x).flatten(1));
  }
}

test('parameters, buffers and state dict use dotted names in PyTorch order; tensors carry their names', () => {
  const m = new Toy();
  assert.equal(m.namedParameters().map(([n]) => n), ['features.norm0.weight', 'features.norm0.bias', 'classifier.weight', 'classifier.bias']);
  assert.equal(m.namedBuffers().map(([n]) => n), ['features.norm0.running_mean', 'features.norm0.running_var', 'features.norm0.num_batches_tracked']);
  assert.equal([...m.stateDict().keys()], ['features.norm0.weight', 'features.norm0.bias', 'features.norm0.running_mean',
    'features.norm0.running_var', 'features.norm0.num_batches_tracked', 'classifier.weight', 'classifier.bias']);
  assert.is(m.classifier.weight.name, 'classifier.weight');
  assert.equal(m.namedModules().map(([n]) => n), ['', 'features', 'features.norm0', 'features.relu0', 'classifier']);
  assert.is(m.getSubmodule('features.norm0'), m.features.get('norm0'));
  assert.throws(() => m.getSubmodule('features.conv9'), /no submodule 'features.conv9' \('conv9' not found; children: norm0, relu0\)/);
  assert.ok(m.parameters().every((p) => p.requiresGrad));
  m.eval();
  assert.ok(m.namedModules().every(([, c]) => !c.training));
  m.train();
  assert.ok(m.namedModules().every(([, c]) => c.training));
  m.dispose();
});

test('loadStateDict copies by name, keeps identity, converts int32 counters, and lists every problem', async () => {
  const a = new Toy(1);
  const b = new Toy(2);
  const before = b.classifier.weight;
  const sd = new Map(a.stateDict());
  sd.set('features.norm0.num_batches_tracked', tensor(Int32Array.from([12]), []));
  b.loadStateDict(sd);
  assert.is(b.classifier.weight, before);
  assert.equal(Array.from(await b.classifier.weight.toArray()), Array.from(await a.classifier.weight.toArray()));
  assert.equal(Array.from(await b.features.get('norm0').stateDict().get('num_batches_tracked')!.toArray()), [12]);
  sd.get('features.norm0.num_batches_tracked')!.dispose();

  const bad = new Map(a.stateDict());
  bad.delete('classifier.bias');
  bad.set('classifier.weight', tensor(new Float32Array(24), [2, 12, 1]));
  bad.set('features.norm0.running_var', tensor(new Float32Array(4), [4]));
  bad.set('head.weight', tensor([1], [1]));
  try {
    b.loadStateDict(bad);
    assert.unreachable('no error');
  } catch (e) {
    assert.instance(e, StateDictError);
    const err = e as StateDictError;
    assert.match(err.message, /classifier\.weight: checkpoint has shape \[2, 12, 1\], this model \[2, 12\]/);
    assert.match(err.message, /features\.norm0\.running_var: checkpoint has shape \[4\], this model \[3\]/);
    assert.match(err.message, /missing key\(s\) \(1\): classifier\.bias/);
    assert.match(err.message, /unexpected key\(s\) \(1\): head\.weight/);
    assert.equal(err.missingKeys, ['classifier.bias']);
    assert.equal(err.unexpectedKeys, ['head.weight']);
  }
  // Non-strict: key problems are returned, shape problems still throw (as PyTorch).
  assert.throws(() => b.loadStateDict(bad, { strict: false }), /size mismatch for 2 tensor\(s\)/);
  const partial = new Map(a.stateDict());
  partial.delete('classifier.bias');
  partial.set('extra', bad.get('head.weight')!);
  assert.equal(b.loadStateDict(partial, { strict: false }), { missingKeys: ['classifier.bias'], unexpectedKeys: ['extra'] });
  for (const k of ['classifier.weight', 'features.norm0.running_var', 'head.weight']) bad.get(k)!.dispose();
  a.dispose();
  b.dispose();
});

test('Linear matches x Wᵀ + b and its gradients on both transposition paths', async () => {
  for (const [m, inF, outF] of [[2, 7, 5], [9, 3, 2]] as const) {
    const lin = new Linear(inF, outF, { generator: new Generator(3) });
    const w = await lin.weight.toArray();
    const b = await lin.bias!.toArray();
    const xv = Float32Array.from({ length: m * inF }, (_, i) => Math.sin(i + 1));
    const x = tensor(xv, [m, inF], { requiresGrad: true });
    const y = lin.forward(x);
    const expected: number[] = [];
    for (let i = 0; i < m; i++) for (let o = 0; o < outF; o++) {
      let s = b[o]!;
      for (let k = 0; k < inF; k++) s += xv[i * inF + k]! * w[o * inF + k]!;
      expected.push(s);
    }
    assertClose(await y.toArray(), expected, { rtol: 1e-5 });
    y.sum().backward();
    // d(sum y)/dW[o, k] = Σ_i x[i, k]; d/dx[i, k] = Σ_o W[o, k]; d/db = m.
    const gw = Array.from({ length: outF * inF }, (_, j) => { let s = 0; for (let i = 0; i < m; i++) s += xv[i * inF + (j % inF)]!; return s; });
    const gx = Array.from({ length: m * inF }, (_, j) => { let s = 0; for (let o = 0; o < outF; o++) s += w[o * inF + (j % inF)]!; return s; });
    assertClose(await lin.weight.grad!.toArray(), gw, { rtol: 1e-5 });
    assertClose(await x.grad!.toArray(), gx, { rtol: 1e-5 });
    assertClose(await lin.bias!.grad!.toArray(), new Array(outF).fill(m), { rtol: 1e-6 });
    assert.throws(() => lin.forward(tensor(new Float32Array(inF + 1), [1, inF + 1])), new RegExp(`Linear: input tensor \\[1, ${inF + 1}\\] has ${inF + 1} features, expected ${inF}`));
    lin.dispose();
    x.dispose();
  }
});

test('forward hooks see and may replace outputs; captureOutput holds the output and the gradient flowing into it', async () => {
  const m = new Toy();
  m.eval();
  const seen: number[][] = [];
  const handle = m.features.registerForwardHook((_mod, _input, out) => { seen.push([...out.shape]); });
  const x = randn([2, 3, 2, 2], { seed: 5 });
  tidy(() => m.forward(x));
  assert.equal(seen, [[2, 3, 2, 2]]);
  handle.remove();
  tidy(() => m.forward(x));
  assert.is(seen.length, 1);

  const doubling = m.classifier.registerForwardHook((_mod, _input, out) => out.mul(2));
  const plain = new Identity();
  const y2 = await tidy(() => m.forward(x)).toArray();
  doubling.remove();
  const y1 = await tidy(() => m.forward(x)).toArray();
  assertClose(y2, Array.from(y1, (v) => 2 * v));
  assert.is(plain.forward(x), x);

  // Grad-CAM's ingredients: loss = Σ features ⊙ w  ⇒ the gradient at the features output is w.
  const cap = captureOutput(m.features);
  const w = randn([2, 12], { seed: 6 });
  const xg = x.clone().requireGrad();
  tidy(() => m.features.forward(xg).flatten(1).mul(w).sum().backward());
  assert.equal([...cap.output!.shape], [2, 3, 2, 2]);
  assertClose(await cap.grad!.toArray(), await w.toArray());
  assert.ok(!cap.output!.isDisposed && !cap.grad!.isDisposed, 'captured tensors survive the tidy scope');
  const live = memoryStats().liveTensors;
  cap.remove();
  assert.is(memoryStats().liveTensors, live - 2);
  m.zeroGrad();
  assert.ok(m.parameters().every((p) => p.grad === null));
  [x, w, xg].forEach((t) => { t.grad?.dispose(); t.dispose(); });
  m.dispose();
});

test('Dropout: seeded masks, scaling by 1/(1 − p), identity in eval mode', async () => {
  const x = tensor(new Float32Array(4000).fill(1), [4000]);
  const run = async (seed: number) => {
    const d = new Dropout(0.25, { generator: new Generator(seed) });
    return Array.from(await tidy(() => d.forward(x)).toArray());
  };
  const a = await run(9);
  assert.equal(await run(9), a);
  assert.not.equal(await run(10), a);
  const zeros = a.filter((v) => v === 0).length;
  assert.ok(Math.abs(zeros / 4000 - 0.25) < 0.03, `dropped ${zeros} of 4000`);
  assert.ok(a.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
  const d = new Dropout(0.5).eval();
  assert.is(d.forward(x), x);
  assert.throws(() => new Dropout(1.5), /probability 1.5 must be in \[0, 1\]/);
  x.dispose();
});

test('default initialisation follows PyTorch: Linear U(±1/√fan_in), BatchNorm 1 and 0, kaiming_normal std √(2/fan_in)', async () => {
  const lin = new Linear(400, 300, { generator: new Generator(4) });
  const w = Array.from(await lin.weight.toArray());
  const bound = 1 / Math.sqrt(400);
  assert.ok(w.every((v) => Math.abs(v) <= bound));
  const variance = w.reduce((s, v) => s + v * v, 0) / w.length;
  assert.ok(Math.abs(variance / (bound * bound / 3) - 1) < 0.02, `variance ${variance}`);
  assert.ok((await lin.bias!.toArray()).every((v) => Math.abs(v) <= bound));
  const bn = new BatchNorm2d(4);
  assert.equal(Array.from(await bn.weight.toArray()), [1, 1, 1, 1]);
  assert.equal(Array.from(await bn.runningVar.toArray()), [1, 1, 1, 1]);
  const k = kaimingNormal([64, 32, 3, 3], new Generator(5));
  const kv = Array.from(await k.toArray());
  const std = Math.sqrt(kv.reduce((s, v) => s + v * v, 0) / kv.length);
  assert.ok(Math.abs(std / Math.sqrt(2 / 288) - 1) < 0.02, `std ${std}`);
  [lin, bn].forEach((m) => m.dispose());
  k.dispose();
});

test.run();
