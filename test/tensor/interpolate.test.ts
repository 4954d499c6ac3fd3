// interpolate (nearest, bilinear; align_corners = false) against PyTorch goldens forward and
// backward, finite differences and errors.
import { getDevice, interpolate, tensor, type InterpolateOptions } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkGoldenCase, goldenTensor, gradcheck, loadGolden, loadGoldenCases, randomArray } from '../helpers/index.ts';

interface InterpolateCase {
  name: string;
  mode: 'nearest' | 'bilinear';
  scaleFactor?: number | [number, number];
  size?: [number, number];
}

await getDevice();
const golden = await loadGolden('data/cnn_interpolate');
const cases = await loadGoldenCases<InterpolateCase>('data/cnn_interpolate');

for (const c of cases) {
  const from = goldenTensor(golden, `${c.name}/in0`).shape;
  const to = goldenTensor(golden, `${c.name}/y`).shape;
  const how = c.size ? `size ${JSON.stringify(c.size)}` : `scaleFactor ${JSON.stringify(c.scaleFactor)}`;
  test(`interpolate ${c.mode} ${from.slice(2).join('x')} → ${to.slice(2).join('x')} (${how}) matches PyTorch`, async () => {
    const opts: InterpolateOptions = c.size ? { size: c.size, mode: c.mode } : { scaleFactor: c.scaleFactor!, mode: c.mode };
    await checkGoldenCase(golden, c.name, (x) => interpolate(x, opts));
  });
}

for (const mode of ['nearest', 'bilinear'] as const) {
  for (const opts of [{ scaleFactor: 1.6 }, { size: [4, 3] as [number, number] }]) {
    test(`interpolate ${mode} ${JSON.stringify(opts)} gradient matches finite differences`, async () => {
      await gradcheck((x) => interpolate(x, { ...opts, mode }), [{ data: randomArray(2 * 3 * 7 * 5, 31), shape: [2, 3, 7, 5] }],
        { eps: 1e-2, label: `interpolate ${mode}` });
    });
  }
}

test('large upsampling factor reaches every output (x8 bilinear of 3x5, integer and non-integer)', async () => {
  const x = tensor(randomArray(15, 2), [1, 1, 3, 5]);
  const a = await interpolate(x, { scaleFactor: 8, mode: 'bilinear' }).toArray();
  assert.is(a.length, 24 * 40);
  assert.ok(a.every(Number.isFinite));
  const ones = await interpolate(tensor(new Float32Array(15).fill(1), [1, 1, 3, 5]), { scaleFactor: 7.3, mode: 'bilinear' }).toArray();
  assert.ok(ones.every((v) => Math.abs(v - 1) < 1e-6), 'bilinear weights sum to 1');
});

test('bad arguments give errors naming the shapes', () => {
  const x = tensor(randomArray(2 * 3 * 4 * 4, 1), [2, 3, 4, 4]);
  assert.throws(() => interpolate(tensor([1, 2], [1, 2]), { scaleFactor: 2 }), /interpolate tensor \[1, 2\] nearest: expected an NCHW input of rank 4/);
  assert.throws(() => interpolate(x, { scaleFactor: 2, size: [3, 3] }), /interpolate tensor \[2, 3, 4, 4\] nearest: give exactly one of size and scaleFactor/);
  assert.throws(() => interpolate(x, {}), /give exactly one of size and scaleFactor/);
  assert.throws(() => interpolate(x, { scaleFactor: 0.1, mode: 'bilinear' }), /interpolate tensor \[2, 3, 4, 4\] bilinear: output size 0x0 from input 4x4 must be positive/);
  assert.throws(() => interpolate(x, { scaleFactor: -1 }), /scaleFactor must be positive/);
});

test.run();
