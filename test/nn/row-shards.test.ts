// Row shards (packages/nn/src/row-shards.ts): a Linear whose weight is larger than one kernel may
// bind holds it as row blocks. Here the limit is lowered (maxShardBytes) so a small layer splits:
// its initial values are the unsplit layer's, forward and every gradient match a float64
// computation on the CPU, files hold the whole weight under its own name, and state dicts move
// between split and unsplit layers (and between different splits) in both directions.
import { Generator, getDevice, tensor, tidy, type Tensor } from '@drgrade/tensor';
import { decodeSafetensors, encodeSafetensors, groupShards, Linear, loadSafetensors, Module, shardRows, StateDictError } from '@drgrade/nn';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

const IN = 7, OUT = 10;
// Three rows of 7 float32 features are 84 bytes: at most three rows a shard.
const LIMIT = 3 * IN * 4;

function values(n: number, seed: number): Float32Array {
  const g = new Generator(seed);
  return Float32Array.from({ length: n }, () => g.uniform() * 2 - 1);
}

async function wholeWeight(l: Linear): Promise<Float32Array> {
  const parts = await Promise.all(l.weightShards.map((s) => s.toArray()));
  const out = new Float32Array(OUT * IN);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

test('shardRows: the whole tensor when it fits, else even row blocks each within the limit; null when a row alone is too large', () => {
  assert.equal(shardRows([10, 7], 280), [10]);
  assert.equal(shardRows([10, 7], LIMIT), [3, 3, 3, 1]);
  assert.equal(shardRows([10, 7], 5 * 28), [5, 5]);
  assert.equal(shardRows([4096, 9216], 128 * 2 ** 20), [2048, 2048]);
  assert.equal(shardRows([4096, 25088], 128 * 2 ** 20), [1024, 1024, 1024, 1024]);
  assert.is(shardRows([4, 100], 399), null);
});

test('a split Linear starts with the unsplit layer\'s values, named weight:0..3, and reports the split when asked for one weight', async () => {
  const split = new Linear(IN, OUT, { generator: new Generator(3), maxShardBytes: LIMIT });
  const whole = new Linear(IN, OUT, { generator: new Generator(3) });
  assert.equal(split.namedParameters().map(([n, t]) => [n, [...t.shape]]), [['weight:0', [3, IN]], ['weight:1', [3, IN]], ['weight:2', [3, IN]], ['weight:3', [1, IN]], ['bias', [OUT]]]);
  assert.equal(Array.from(await wholeWeight(split)), Array.from(await whole.weight.toArray()));
  assert.equal(Array.from(await split.bias!.toArray()), Array.from(await whole.bias!.toArray()));
  assert.throws(() => split.weight, /weight is held in 4 row shards \(weightShards\)/);
  split.dispose();
  whole.dispose();
});

for (const batch of [2, 40]) {
  // Batch 2 takes the product through the transposed weight, batch 40 through the transposed input.
  test(`split Linear, batch ${batch}: output, input gradient and each shard's and the bias's gradient match float64`, async () => {
    const l = new Linear(IN, OUT, { generator: new Generator(5), maxShardBytes: LIMIT });
    const xs = values(batch * IN, 11), gs = values(batch * OUT, 12);
    const x = tensor(xs, [batch, IN]).requireGrad();
    const y = l.forward(x);
    tidy(() => y.mul(tensor(gs, [batch, OUT])).sum().backward());
    const w = await wholeWeight(l), b = await l.bias!.toArray();
    const yRef = new Float64Array(batch * OUT), gxRef = new Float64Array(batch * IN), gwRef = new Float64Array(OUT * IN);
    for (let n = 0; n < batch; n++) {
      for (let o = 0; o < OUT; o++) {
        let s = b[o]!;
        for (let i = 0; i < IN; i++) {
          s += xs[n * IN + i]! * w[o * IN + i]!;
          gxRef[n * IN + i] = gxRef[n * IN + i]! + gs[n * OUT + o]! * w[o * IN + i]!;
          gwRef[o * IN + i] = gwRef[o * IN + i]! + gs[n * OUT + o]! * xs[n * IN + i]!;
        }
        yRef[n * OUT + o] = s;
      }
    }
    const gbRef = Array.from({ length: OUT }, (_, o) => Array.from({ length: batch }, (_, n) => gs[n * OUT + o]!).reduce((a, v) => a + v, 0));
    assertClose(await y.toArray(), yRef, { atol: 1e-5, rtol: 1e-5, label: 'output' });
    assertClose(await x.grad!.toArray(), gxRef, { atol: 1e-5, rtol: 1e-5, label: 'input gradient' });
    let row = 0;
    for (const shard of l.weightShards) {
      const rows = shard.shape[0]!;
      assertClose(await shard.grad!.toArray(), gwRef.subarray(row * IN, (row + rows) * IN), { atol: 1e-5, rtol: 1e-5, label: shard.name });
      row += rows;
    }
    assertClose(await l.bias!.grad!.toArray(), gbRef, { atol: 1e-5, rtol: 1e-5, label: 'bias gradient' });
    [x, y].forEach((t) => t.dispose());
    l.dispose();
  });
}

test('a file holds a split weight whole under its own name; state dicts load across splits both ways', async () => {
  const split = new Linear(IN, OUT, { generator: new Generator(7), maxShardBytes: LIMIT });
  const expected = Array.from(await wholeWeight(split));
  const bytes = await encodeSafetensors(split.stateDict());
  const file = decodeSafetensors(bytes, 'split linear');
  assert.equal([...file.tensors].map(([k, t]) => [k, t.shape]), [['weight', [OUT, IN]], ['bias', [OUT]]]);
  assert.equal(Array.from(file.tensors.get('weight')!.data), expected);

  // Whole into split (3-row blocks), split into whole, and 3-row blocks into 5-row blocks.
  const loaded = await loadSafetensors(bytes);
  const other = new Linear(IN, OUT, { generator: new Generator(8), maxShardBytes: LIMIT });
  other.loadStateDict(loaded);
  assert.equal(Array.from(await wholeWeight(other)), expected);
  const whole = new Linear(IN, OUT, { generator: new Generator(9) });
  whole.loadStateDict(split.stateDict());
  assert.equal(Array.from(await whole.weight.toArray()), expected);
  const fives = new Linear(IN, OUT, { generator: new Generator(10), maxShardBytes: 5 * IN * 4 });
  fives.loadStateDict(split.stateDict());
  assert.equal(fives.weightShards.map((s) => s.shape[0]), [5, 5]);
  assert.equal(Array.from(await wholeWeight(fives)), expected);
  for (const t of loaded.values()) t.dispose();
  [split, other, whole, fives].forEach((m) => m.dispose());
});

test('state-dict errors name the whole tensor: its shape across shards, a missing shard', () => {
  const split = new Linear(IN, OUT, { generator: new Generator(1), maxShardBytes: LIMIT });
  const wider = new Linear(IN + 1, OUT, { generator: new Generator(1) });
  try {
    split.loadStateDict(wider.stateDict());
    assert.unreachable('shape mismatch accepted');
  } catch (e) {
    assert.instance(e, StateDictError);
    assert.equal((e as StateDictError).mismatches, [`weight: checkpoint has shape [${OUT}, ${IN + 1}], this model [${OUT}, ${IN}]`]);
  }
  const gap = new Map<string, Tensor>([...split.stateDict()].filter(([k]) => k !== 'weight:1'));
  assert.throws(() => split.loadStateDict(gap), /tensor 'weight': row shard 1 is missing \(found 0, 2, 3\)/);
  // ':' names row shards, so a module cannot register it itself.
  class Colon extends Module {
    constructor() { super(); this.registerParameter('w:0', tensor([1, 2], [2])); }
    forward(x: Tensor): Tensor { return x; }
  }
  assert.throws(() => new Colon(), /name 'w:0' must be non-empty and contain no '\.' or ':'/);
  const grouped = groupShards(split.stateDict(), (t) => t.shape);
  assert.equal([...grouped].map(([k, e]) => [k, e.shape, e.parts.map((p) => p.row)]), [['weight', [OUT, IN], [0, 3, 6, 9]], ['bias', [OUT], [0]]]);
  [split, wider].forEach((m) => m.dispose());
});

test.run();
