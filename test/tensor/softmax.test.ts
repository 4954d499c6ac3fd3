// softmax / logSoftmax on any axis: float64 reference, extreme logits, gradients.
import { getDevice, tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertClose, gradcheck, randomArray } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

function refSoftmax(data: Float32Array, shape: number[], axis: number, log: boolean): number[] {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const R = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Array<number>(data.length);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    const at = (r: number) => (o * R + r) * inner + i;
    let m = -Infinity;
    for (let r = 0; r < R; r++) m = Math.max(m, data[at(r)]!);
    let s = 0;
    for (let r = 0; r < R; r++) s += Math.exp(data[at(r)]! - m);
    for (let r = 0; r < R; r++) out[at(r)] = log ? data[at(r)]! - m - Math.log(s) : Math.exp(data[at(r)]! - m) / s;
  }
  return out;
}

for (const log of [false, true]) {
  const name = log ? 'logSoftmax' : 'softmax';
  test(`${name} on every axis of a rank-3 tensor matches float64`, async () => {
    const shape = [3, 5, 7];
    const data = randomArray(105, log ? 3 : 4, -4, 4);
    for (const axis of [0, 1, 2, -1]) {
      const x = tensor(data, shape);
      const y = log ? x.logSoftmax(axis) : x.softmax(axis);
      assertClose(await y.toArray(), refSoftmax(data, shape, (axis + 3) % 3, log), { rtol: 1e-5, atol: 1e-6, label: `${name} axis ${axis}` });
    }
  });
  test(`${name} is stable for huge logits`, async () => {
    const y = await (log ? tensor([1000, 0, -1000], [1, 3]).logSoftmax(1) : tensor([1000, 0, -1000], [1, 3]).softmax(1)).toArray();
    for (const v of y) assert.ok(Number.isFinite(v), `${name} gave ${v}`);
    assertClose(y, log ? [0, -1000, -2000] : [1, 0, 0], { atol: 1e-6 });
  });
  test(`${name} gradient matches finite differences`, async () => {
    await gradcheck((x) => (log ? x.logSoftmax(1) : x.softmax(1)), [{ data: randomArray(24, 8, -2, 2), shape: [2, 4, 3] }], { eps: 1e-3 });
  });
}

test.run();
