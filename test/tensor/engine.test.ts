// The engine's bind-group cache: a repeated op reuses its bind group, a bind group is never
// reused with other uniforms or after its buffers were destroyed, and running out of uniform
// slots changes no recorded result.
import { engineStats, getDevice, tensor, trimMemory, type Tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomArray } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

const values = (n: number, seed: number) => Array.from(randomArray(n, seed));

test('a repeated op finds its bind group again and computes the same', async () => {
  const da = values(256, 1), db = values(256, 2);
  const a = tensor(da, [256]), b = tensor(db, [256]);
  a.add(b).dispose();
  const before = engineStats().bindGroupHits;
  for (let i = 0; i < 20; i++) a.add(b).dispose();
  const again = a.add(b);
  const hits = engineStats().bindGroupHits - before;
  assert.ok(hits >= 20, `only ${hits} of 21 dispatches found their bind group`);
  assert.equal([...await again.toArray()], da.map((v, i) => Math.fround(Math.fround(v) + Math.fround(db[i]!))));
  for (const t of [a, b, again]) t.dispose();
});

test('the same pipeline and buffers with other uniforms read other data', async () => {
  const data = values(64, 3);
  const x = tensor(data, [64]);
  const first = x.slice([0], [8]);
  const buffer = first.buffer;
  assert.equal([...await first.toArray()], data.slice(0, 8).map(Math.fround));
  first.dispose();
  // The pool hands the released buffer to the next output of its size: same pipeline, same
  // buffers, only the uniform block (the slice's offset) differs.
  const second = x.slice([8], [16]);
  assert.ok(second.buffer === buffer, 'the second slice did not reuse the first one\'s buffer (the case this test is about)');
  assert.equal([...await second.toArray()], data.slice(8, 16).map(Math.fround));
  x.dispose();
  second.dispose();
});

test('after trimMemory destroys pooled buffers, ops on new ones run without errors', async () => {
  const data = values(512, 4);
  for (let round = 0; round < 3; round++) {
    const x = tensor(data, [512]);
    const y = x.mul(x);
    assert.equal([...await y.toArray()], data.map((v) => Math.fround(Math.fround(v) * Math.fround(v))));
    x.dispose();
    y.dispose();
    trimMemory();
  }
});

test('more distinct uniform blocks than the engine keeps slots for leave every result intact', async () => {
  // 9,000 slices with 9,000 different offsets pass the 8,192 slots, so the slots are reused
  // midway. An add whose uniform block took an early slot is recorded between the slices from
  // 7,800 on: when the slots are reused, the first new blocks overwrite that early slot while adds
  // that read it may still be recorded and unsubmitted.
  const n = 9000;
  const data = values(n, 5);
  const x = tensor(data, [n]);
  const da = values(256, 6), db = values(256, 7);
  const a = tensor(da, [256]), b = tensor(db, [256]);
  const sum = da.map((v, i) => Math.fround(Math.fround(v) + Math.fround(db[i]!)));
  a.add(b).dispose();
  const slices: [number, Tensor][] = [];
  const adds: Tensor[] = [];
  for (let i = 0; i < n; i++) {
    const s = x.slice([i], [i + 1]);
    if (i % 997 === 0 || i >= 7800) slices.push([i, s]); else s.dispose();
    if (i >= 7800 && i < 8600) adds.push(a.add(b));
  }
  for (const [i, s] of slices) {
    assert.equal([...await s.toArray()], [Math.fround(data[i]!)], `slice at ${i}`);
    s.dispose();
  }
  for (const [k, t] of adds.entries()) {
    assert.equal([...await t.toArray()], sum, `add ${k}`);
    t.dispose();
  }
  for (const t of [x, a, b]) t.dispose();
});

test.run();
