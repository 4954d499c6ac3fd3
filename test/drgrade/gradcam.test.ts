// Grad-CAM: the map against a float64 reference, upsampling, normalisation and the overlay.
import { getDevice, tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { camFromActivation, jet, overlay, upsampleAndNormalize } from '../../packages/drgrade/src/gradcam/gradcam.ts';
import { assertClose, randomArray } from '../helpers/index.ts';

test.before(async () => { await getDevice(); });

test('the map is ReLU(Σ_k mean(∂y/∂A_k)·A_k), as a float64 reference computes it', async () => {
  const C = 6, h = 5, w = 7;
  const A = randomArray(C * h * w, 3, 0, 2), G = randomArray(C * h * w, 4, -1, 1);
  const { map, height, width } = await camFromActivation(tensor(A, [1, C, h, w]), tensor(G, [1, C, h, w]));
  assert.equal([height, width], [h, w]);
  const ref = new Float64Array(h * w);
  for (let k = 0; k < C; k++) {
    let alpha = 0;
    for (let i = 0; i < h * w; i++) alpha += G[k * h * w + i]!;
    alpha /= h * w;
    for (let i = 0; i < h * w; i++) ref[i] += alpha * A[k * h * w + i]!;
  }
  assertClose(map, ref.map((v) => Math.max(v, 0)), { rtol: 1e-5, atol: 1e-6 });
});

test('upsampling is bilinear with half-pixel centres, then min-max normalised', () => {
  const up = upsampleAndNormalize(Float32Array.from([0, 1, 2, 3]), 2, 2, 4, 4);
  // PyTorch F.interpolate(mode='bilinear', align_corners=False) of [[0,1],[2,3]] to 4x4, divided by its max 3.
  const torchRows = [[0, 0.25, 0.75, 1], [0.5, 0.75, 1.25, 1.5], [1.5, 1.75, 2.25, 2.5], [2, 2.25, 2.75, 3]];
  assertClose(up, torchRows.flat().map((v) => v / 3), { rtol: 1e-6, atol: 1e-7 });
  assert.ok(upsampleAndNormalize(new Float32Array(4), 2, 2, 3, 3).every((v) => v === 0), 'a flat map stays zero');
});

test('jet colours and the overlay blend', () => {
  assert.equal(jet(0), [0, 0, 128]);
  assert.equal(jet(1), [128, 0, 0]);
  assert.equal(jet(0.5), [128, 255, 128]);
  const o = overlay(Uint8Array.from([100, 100, 100]), Float32Array.from([1]), 0.5);
  assert.equal(Array.from(o), [114, 50, 50]);
});

test.run();
