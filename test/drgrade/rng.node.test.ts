import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Rng, mixSeed } from 'drgrade';
import { readFixtureJson } from './helpers.ts';

test('xoshiro128** stream equals an independent Python implementation', () => {
  const vectors = readFixtureJson<Record<string, number[]>>('xoshiro128ss.json');
  for (const [seed, expected] of Object.entries(vectors)) {
    const rng = new Rng(Number(seed));
    assert.equal(expected.map(() => rng.uint32()), expected, `seed ${seed}`);
  }
});

test('same seed, same stream; different seeds differ', () => {
  const a = new Rng(7);
  const b = new Rng(7);
  const c = new Rng(8);
  const sa = Array.from({ length: 20 }, () => a.next());
  assert.equal(Array.from({ length: 20 }, () => b.next()), sa);
  assert.not.equal(Array.from({ length: 20 }, () => c.next()), sa);
});

test('int() stays in range and is roughly uniform', () => {
  const rng = new Rng(3);
  const counts = new Array<number>(7).fill(0);
  for (let i = 0; i < 70000; i++) {
    const v = rng.int(7);
    assert.ok(v >= 0 && v < 7 && Number.isInteger(v));
    counts[v]! += 1;
  }
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 400, `count ${c}`);
  assert.throws(() => rng.int(0), RangeError);
});

test('normal() has mean 0 and variance 1; weighted() follows the weights', () => {
  const rng = new Rng(11);
  let sum = 0;
  let sq = 0;
  const n = 50000;
  for (let i = 0; i < n; i++) {
    const v = rng.normal();
    sum += v;
    sq += v * v;
  }
  assert.ok(Math.abs(sum / n) < 0.02);
  assert.ok(Math.abs(sq / n - 1) < 0.03);
  const hits = [0, 0, 0];
  for (let i = 0; i < 30000; i++) hits[rng.weighted([1, 0, 2])]! += 1;
  assert.is(hits[1], 0);
  assert.ok(Math.abs((hits[2] as number) / (hits[0] as number) - 2) < 0.1);
});

test('shuffle is a permutation; mixSeed separates nearby inputs', () => {
  const rng = new Rng(5);
  const items = Array.from({ length: 100 }, (_, i) => i);
  const shuffled = rng.shuffle([...items]);
  assert.not.equal(shuffled, items);
  assert.equal([...shuffled].sort((x, y) => x - y), items);
  const seeds = new Set<number>();
  for (let e = 0; e < 10; e++) for (let i = 0; i < 100; i++) seeds.add(mixSeed(1, e, i));
  assert.is(seeds.size, 1000);
  assert.is(mixSeed(1, 2, 3), mixSeed(1, 2, 3));
});

test.run();
