// Grad-CAM: the map against a float64 reference, upsampling, normalisation, the colour map
// (matplotlib's Turbo), the overlay, the map carried back onto the photograph (OpenCV's resize)
// and the colour bar.
import { getDevice, tensor } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { withColorBar } from '../../packages/drgrade/src/gradcam/color-bar.ts';
import { camFromActivation, overlay, upsampleAndNormalize } from '../../packages/drgrade/src/gradcam/gradcam.ts';
import { heatOnPhoto } from '../../packages/drgrade/src/gradcam/photo-heat.ts';
import { turbo } from '../../packages/drgrade/src/gradcam/turbo.ts';
import { fundusFrame, preprocessFundus } from '../../packages/drgrade/src/image/preprocess.ts';
import { createImage, type RgbImage } from '../../packages/drgrade/src/image/rgb-image.ts';
import { assertClose, loadGolden, loadGoldenCases, randomArray, readRepoFile } from '../helpers/index.ts';

/** matplotlib's Turbo at k/255, k = 0..255, as bytes (test/fixtures/gen_gradcam_goldens.py). */
let TURBO: { x: number[]; rgb: [number, number, number][] };

test.before(async () => {
  await getDevice();
  TURBO = JSON.parse(new TextDecoder().decode(await readRepoFile('test/fixtures/data/gradcam/turbo.json'))) as typeof TURBO;
});

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
    for (let i = 0; i < h * w; i++) ref[i]! += alpha * A[k * h * w + i]!;
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

test('the colour map is matplotlib\'s Turbo at each of its 256 entries, and runs straight between them', () => {
  TURBO.x.forEach((x, k) => assert.equal(turbo(x), TURBO.rgb[k], `x = ${k}/255`));
  assert.equal(turbo(-1), turbo(0), 'clamped below');
  assert.equal(turbo(2), turbo(1), 'clamped above');
  for (let k = 0; k < 255; k++) {
    const mid = turbo((k + 0.5) / 255);
    mid.forEach((c, i) => {
      const [a, b] = [TURBO.rgb[k]![i]!, TURBO.rgb[k + 1]![i]!];
      assert.ok(Math.abs(c - (a + b) / 2) <= 0.5, `halfway between entries ${k} and ${k + 1}, channel ${i}: ${c} (entries ${a}, ${b})`);
    });
  }
});

test('the overlay blends Turbo over the image and leaves pixels without heat (NaN) untouched', () => {
  // Turbo(1) = (122, 4, 3) (matplotlib, rounded): 0.5·100 + 0.5·(122, 4, 3) = (111, 52, 51.5 → 52).
  const o = overlay(Uint8Array.from([100, 100, 100, 7, 8, 9]), Float32Array.from([1, Number.NaN]), 0.5);
  assert.equal(Array.from(o), [111, 52, 52, 7, 8, 9]);
});

/** A photograph whose fundus (grey 120 with a bright dot) fills `box` on black. */
function framedPhoto(width: number, height: number, box: { x: number; y: number; width: number; height: number }, dot?: [number, number]): RgbImage {
  const photo = createImage(width, height);
  for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) photo.data.fill(120, (y * width + x) * 3, (y * width + x) * 3 + 3);
  if (dot) photo.data.fill(250, (dot[1] * width + dot[0]) * 3, (dot[1] * width + dot[0]) * 3 + 3);
  return photo;
}

/** Index of the largest value, NaN (no heat) skipped. */
function argmax(values: Float32Array): number {
  let best = -1;
  values.forEach((v, i) => { if (!Number.isNaN(v) && (best < 0 || v > values[best]!)) best = i; });
  return best;
}

test('the heat map on the photograph equals OpenCV\'s resize of it, cut to the crop box; nothing outside', async () => {
  const golden = await loadGolden('data/gradcam/photo_heat');
  const [meta] = await loadGoldenCases<{ photo: [number, number]; box: { x: number; y: number; width: number; height: number }; size: number }>('data/gradcam/photo_heat');
  const { photo: [W, H], box, size } = meta!;
  const frame = fundusFrame(framedPhoto(W, H, box));
  assert.equal(frame.box, box, 'the crop box the preprocessing finds');
  const mapped = heatOnPhoto(golden.get('heat')!.data, size, frame);
  const expected = golden.get('photo')!.data;
  assert.is(mapped.length, W * H, 'one value per photograph pixel');
  for (let i = 0; i < W * H; i++) {
    if (Number.isNaN(expected[i]!)) assert.ok(Number.isNaN(mapped[i]!), `pixel ${i % W},${Math.floor(i / W)} is outside the box: no heat`);
    else assert.ok(Math.abs(mapped[i]! - expected[i]!) <= 1e-5, `pixel ${i % W},${Math.floor(i / W)}: ${mapped[i]} vs OpenCV ${expected[i]}`);
  }
});

test('a hot spot of the network input lands where it is on the photograph', () => {
  // Photograph 300 x 200, fundus box 220 x 150 at (40, 30): the square is 220 px, the box sits 35 px
  // down in it, and the square becomes 64 px. Input pixel (40, 12) has its centre at square
  // ((40.5·220/64 − 0.5), (12.5·220/64 − 0.5)) = (138.72, 42.47), i.e. photograph
  // (40 + 138.72, 30 − 35 + 42.47) = (178.72, 37.47): the nearest pixel is (179, 37).
  const box = { x: 40, y: 30, width: 220, height: 150 };
  const frame = fundusFrame(framedPhoto(300, 200, box));
  const heat = new Float32Array(64 * 64);
  heat[12 * 64 + 40] = 1;
  const mapped = heatOnPhoto(heat, 64, frame);
  const hot = argmax(mapped);
  assert.equal([hot % 300, Math.floor(hot / 300)], [179, 37]);
  for (let y = 0; y < 200; y++) {
    for (let x = 0; x < 300; x++) {
      const inside = x >= 40 && x < 260 && y >= 30 && y < 180;
      assert.is(Number.isNaN(mapped[y * 300 + x]!), !inside, `pixel ${x},${y}`);
    }
  }
});

test('round trip: a dot found in the preprocessed input maps back to the dot on the photograph', () => {
  const box = { x: 23, y: 41, width: 201, height: 133 };
  const dot: [number, number] = [180, 70];
  const photo = framedPhoto(260, 190, box, dot);
  const input = preprocessFundus(photo, { size: 64, sigma: null, crop: true });
  const grey = Float32Array.from({ length: 64 * 64 }, (_, i) => input.data[3 * i]!);
  const heat = new Float32Array(64 * 64);
  heat[argmax(grey)] = 1;
  const hot = argmax(heatOnPhoto(heat, 64, fundusFrame(photo)));
  // One input pixel covers 201 / 64 ≈ 3.1 photograph pixels.
  const [x, y] = [hot % 260, Math.floor(hot / 260)];
  assert.ok(Math.abs(x - dot[0]) <= 2 && Math.abs(y - dot[1]) <= 2, `mapped to ${x},${y}, dot at ${dot}`);
});

test('the colour bar: the picture unchanged above, a Turbo ramp from its low to its high end below', () => {
  const picture = createImage(400, 90, [10, 200, 30]);
  const out = withColorBar(picture, 'RELEVANCE TO GRADE 2');
  assert.is(out.width, 400);
  assert.ok(out.height > 90 && out.height < 90 + 60, `height ${out.height}`);
  assert.equal(out.data.subarray(0, picture.data.length), picture.data, 'the picture is kept as it was');
  const nearest = (p: number[]) => {
    let best = 0, bestDistance = Infinity;
    TURBO.rgb.forEach((c, i) => {
      const d = Math.hypot(c[0] - p[0]!, c[1] - p[1]!, c[2] - p[2]!);
      if (d < bestDistance) { best = i; bestDistance = d; }
    });
    return { index: best, distance: bestDistance };
  };
  // The ramp's row: the strip row with the most pixels that are neither paper nor ink.
  let rampRow: number[][] = [];
  for (let y = 90; y < out.height; y++) {
    const row = Array.from({ length: out.width }, (_, x) => Array.from(out.data.subarray((y * out.width + x) * 3, (y * out.width + x) * 3 + 3)));
    const coloured = row.filter((p) => !(p[0] === p[1] && p[1] === p[2]));
    if (coloured.length > rampRow.length) rampRow = coloured;
  }
  assert.ok(rampRow.length > out.width / 2, `the ramp spans ${rampRow.length} of ${out.width} px`);
  assert.equal(rampRow[0], TURBO.rgb[0], 'left end: the low end of Turbo');
  assert.equal(rampRow[rampRow.length - 1], TURBO.rgb[255], 'right end: the high end of Turbo');
  const steps = rampRow.map(nearest);
  assert.ok(steps.every((s) => s.distance <= 4), `every ramp colour is a Turbo colour (largest distance ${Math.max(...steps.map((s) => s.distance)).toFixed(1)})`);
  assert.ok(steps.every((s, i) => i === 0 || s.index >= steps[i - 1]!.index), 'the ramp runs from low to high');
});

test.run();
