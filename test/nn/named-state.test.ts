// An optimiser's state by parameter name (packages/nn/src/optim/named-state.ts): what training
// checkpoints keep, so that a run resumes where its large weights are split into another number of
// row shards. Checked by training a split Linear two AdamW steps, moving its optimiser's state to
// layers split other ways (directly, and through a safetensors file that joins it), and taking a
// third step on each: they must land where the original does, and a fresh optimiser (no state)
// must not. Mismatches are named.
import { Generator, getDevice, tensor, tidy, type Tensor } from '@drgrade/tensor';
import { AdamW, decodeSafetensors, deviceTensors, encodeSafetensors, Linear, loadNamedOptimizerState, namedOptimizerState, SGD } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test.before(async () => { await getDevice(); });

const IN = 7, OUT = 10, BATCH = 4;
const ROWS = (n: number) => n * IN * 4;

function values(n: number, seed: number): Float32Array {
  const g = new Generator(seed);
  return Float32Array.from({ length: n }, () => g.uniform() * 2 - 1);
}

/** One AdamW step of sum(layer(x) * g) with inputs drawn from `seed`. */
function step(l: Linear, opt: AdamW | SGD, seed: number): void {
  opt.zeroGrad();
  const x = tensor(values(BATCH * IN, seed), [BATCH, IN]);
  tidy(() => l.forward(x).mul(tensor(values(BATCH * OUT, seed + 1), [BATCH, OUT])).sum().backward());
  x.dispose();
  opt.step();
}

async function weight(l: Linear): Promise<number[]> {
  return (await Promise.all(l.weightShards.map((s) => s.toArray()))).flatMap((a) => Array.from(a));
}

function maxDiff(a: number[], b: number[]): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

/** A layer with `a`'s weights, split into blocks of `rows` rows (undefined: whole). */
function copyOf(a: Linear, rows?: number): Linear {
  const l = new Linear(IN, OUT, { generator: new Generator(99), ...(rows ? { maxShardBytes: ROWS(rows) } : {}) });
  l.loadStateDict(a.stateDict());
  return l;
}

test('AdamW state moves between layers split 3-3-3-1, whole and 5-5, directly and through a file, and the next step agrees', async () => {
  const a = new Linear(IN, OUT, { generator: new Generator(1), maxShardBytes: ROWS(3) });
  const optA = new AdamW(a.parameters(), { lr: 0.05, weightDecay: 0.1 });
  step(a, optA, 10);
  step(a, optA, 20);
  const saved = namedOptimizerState(optA, a.namedParameters());
  assert.equal([...saved.tensors.keys()].sort(), ['bias', 'weight:0', 'weight:1', 'weight:2', 'weight:3'].flatMap((n) => [`exp_avg.${n}`, `exp_avg_sq.${n}`]).sort());
  assert.equal(saved.numbers.sort(), [['bias', 'step', 2], ['weight', 'step', 2]], 'one step count a whole weight');
  assert.equal(saved.groups.map((g) => g.params), [['weight', 'bias']]);

  // Directly into a whole weight; through a file (which holds whole tensors) into blocks of 5 rows.
  const whole = copyOf(a);
  const optWhole = new AdamW(whole.parameters(), { lr: 0.9 });
  loadNamedOptimizerState(optWhole, whole.namedParameters(), saved);
  assert.is(optWhole.paramGroups[0]!.lr, 0.05, 'hyper-parameters come with the state');
  const file = decodeSafetensors(await encodeSafetensors(saved.tensors), 'optimiser.safetensors');
  assert.equal([...file.tensors.keys()].sort(), ['exp_avg.bias', 'exp_avg.weight', 'exp_avg_sq.bias', 'exp_avg_sq.weight']);
  const read = new Map<string, Tensor>();
  for (const [k, e] of file.tensors) for (const [n, t] of deviceTensors(k, e.data, e.shape)) read.set(n, t);
  const fives = copyOf(a, 5);
  const optFives = new AdamW(fives.parameters());
  loadNamedOptimizerState(optFives, fives.namedParameters(), { ...saved, tensors: read });
  for (const t of read.values()) t.dispose();
  // A fresh optimiser over the same weights: what the third step looks like without the state.
  const fresh = copyOf(a);
  const optFresh = new AdamW(fresh.parameters(), { lr: 0.05, weightDecay: 0.1 });

  for (const [l, o] of [[a, optA], [whole, optWhole], [fives, optFives], [fresh, optFresh]] as const) step(l, o, 30);
  const expected = await weight(a);
  assert.ok(maxDiff(await weight(whole), expected) < 1e-6, `whole: ${maxDiff(await weight(whole), expected)}`);
  assert.ok(maxDiff(await weight(fives), expected) < 1e-6, `5-5: ${maxDiff(await weight(fives), expected)}`);
  assert.equal(Array.from(await fives.bias!.toArray()), Array.from(await a.bias!.toArray()));
  assert.ok(maxDiff(await weight(fresh), expected) > 1e-3, `without the state the step differs: ${maxDiff(await weight(fresh), expected)}`);
  for (const o of [optA, optWhole, optFives, optFresh]) o.dispose();
  for (const l of [a, whole, fives, fresh]) l.dispose();
});

test('a state that does not fit is refused, naming the parameter: another group, another shape, an unknown name, another optimiser\'s parameters', async () => {
  const a = new Linear(IN, OUT, { generator: new Generator(2), maxShardBytes: ROWS(3) });
  const opt = new SGD(a.parameters(), { lr: 0.1, momentum: 0.9 });
  step(a, opt, 40);
  const saved = namedOptimizerState(opt, a.namedParameters());
  const b = copyOf(a);
  const split = new SGD([{ params: [b.weight] }, { params: [b.bias!] }], { lr: 0.1, momentum: 0.9 });
  assert.throws(() => loadNamedOptimizerState(split, b.namedParameters(), saved), /SGD: the saved state has 1 parameter group\(s\), this optimiser 2/);
  const optB = new SGD(b.parameters(), { lr: 0.1, momentum: 0.9 });
  assert.throws(() => loadNamedOptimizerState(optB, b.namedParameters(), { ...saved, groups: [{ ...saved.groups[0]!, params: ['weight'] }] }),
    /the saved state's group 0 and this optimiser's differ in 'bias' \(1 and 2 parameter\(s\)\)/);
  const short = new Map(saved.tensors);
  short.set('momentum_buffer.bias', tensor(values(OUT - 1, 5), [OUT - 1]));
  assert.throws(() => loadNamedOptimizerState(optB, b.namedParameters(), { ...saved, tensors: short }), /has 'momentum_buffer\.bias' of shape \[9\], the parameter is \[10\]/);
  const stray = new Map(saved.tensors);
  stray.set('momentum_buffer.fc.bias', short.get('momentum_buffer.bias')!);
  stray.delete('momentum_buffer.bias');
  assert.throws(() => loadNamedOptimizerState(optB, b.namedParameters(), { ...saved, tensors: stray }), /has 'momentum_buffer\.fc\.bias', which names no parameter of this model/);
  short.get('momentum_buffer.bias')!.dispose();
  assert.throws(() => namedOptimizerState(optB, a.namedParameters()), /SGD: tensor .* is not among the named parameters given/);
  for (const o of [opt, split, optB]) o.dispose();
  for (const l of [a, b]) l.dispose();
});

test.run();
