// WeightAverage (packages/nn/src/optim/weight-average.ts): over several updates from a network
// whose weights and batch-norm statistics change each step, the average follows a float64
// computation of avg = d·avg + (1 − d)·w with the warm-up decays min(decay, (1 + t) / (10 + t));
// the batch counter is copied, not averaged; a restored update count resumes the same decays.
import { Generator, getDevice, noGrad, tensor, tidy, type Tensor } from '@drgrade/tensor';
import { BatchNorm2d, Linear, Module, WeightAverage } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, randomArray } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

class Small extends Module {
  readonly fc: Linear;
  readonly norm: BatchNorm2d;
  constructor(seed: number) {
    super();
    this.fc = this.registerModule('fc', new Linear(6, 4, { generator: new Generator(seed) }));
    this.norm = this.registerModule('norm', new BatchNorm2d(4));
  }
  forward(x: Tensor): Tensor { return this.fc.forward(x); }
}

/** Sets every tensor of `m` to fresh random values (integers for the counter) and returns them by name. */
function randomize(m: Module, seed: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  tidy(() => noGrad(() => {
    for (const [name, t] of m.stateDict()) {
      const v = name.endsWith('num_batches_tracked') ? Float32Array.from({ length: t.size }, () => seed * 3) : randomArray(t.size, seed++);
      t.assign(tensor(v, [...t.shape]));
      out.set(name, v);
    }
  }));
  return out;
}

test('the average follows a float64 EMA with warm-up decays; the batch counter is copied; a restored count resumes the decays', async () => {
  const trained = new Small(1), averaged = new Small(2);
  const start = randomize(averaged, 100);
  const ref = new Map([...start].map(([k, v]) => [k, Float64Array.from(v)]));
  const average = new WeightAverage(averaged, 0.6);
  const decays: number[] = [];
  for (let step = 0; step < 4; step++) {
    decays.push(average.nextDecay());
    const w = randomize(trained, 10 * step + 1);
    const d = decays[step]!;
    for (const [k, r] of ref) for (let i = 0; i < r.length; i++) r[i] = k.endsWith('num_batches_tracked') ? w.get(k)![i]! : d * r[i]! + (1 - d) * w.get(k)![i]!;
    average.update(trained);
  }
  // min(0.6, (1 + t) / (10 + t)): 0.1, 2/11, 0.25, 4/13.
  assertClose(decays, [0.1, 2 / 11, 0.25, 4 / 13], { atol: 1e-12, rtol: 0 });
  for (const [k, t] of averaged.stateDict()) assertClose(await t.toArray(), ref.get(k)!, { atol: 1e-6, rtol: 1e-5, label: k });
  assert.equal(average.stateDict(), { steps: 4 });
  const again = new WeightAverage(new Small(3), 0.6);
  again.loadStateDict({ steps: 30 });
  assert.is(again.nextDecay(), 0.6, 'past the warm-up, the configured decay');
  assert.throws(() => new WeightAverage(averaged, 1), /decay must be in \[0, 1\), got 1/);
  [trained, averaged, again.average].forEach((m) => m.dispose());
});

test.run();
