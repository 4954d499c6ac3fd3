// The gradability check: synthetic photographs on both sides of each threshold. The images are
// checkerboards of two colours (and ramps), whose luma, contrast, Laplacian and red/green ratio
// are computed by hand in the comments (luma = 0.299 R + 0.587 G + 0.114 B; frames of at most
// 256 px are measured pixel by pixel).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assessGradability, GRADABILITY_LIMITS } from '../../packages/drgrade/src/image/gradability.ts';
import { createImage, encodeJpeg, encodePng, runCli, type RgbImage } from 'drgrade';
import { planSyntheticDataset } from '../../packages/drgrade/src/synth/dataset.ts';
import { renderFundus } from '../../packages/drgrade/src/synth/render.ts';
import { captureContext, put, tempDir } from './helpers.ts';

type Rgb = readonly [number, number, number];

/** A w x h black frame whose rows [top, bottom) are a checkerboard of a and b (b where x + y is odd). */
function board(w: number, h: number, a: Rgb, b: Rgb, top = 0, bottom = h): RgbImage {
  const image = createImage(w, h, 0);
  for (let y = top; y < bottom; y++) {
    for (let x = 0; x < w; x++) image.data.set((x + y) % 2 ? b : a, (y * w + x) * 3);
  }
  return image;
}

function reason(image: RgbImage): string {
  const v = assessGradability(image);
  return v.gradable ? 'gradable' : v.reason;
}

// The base pair: A luma 99.36, B luma 74.52: contrast 12.42, Laplacian 4 x 24.84, red/green 280/140 = 2.
const A: Rgb = [160, 80, 40];
const B: Rgb = [120, 60, 30];

test('the limits are the documented ones', () => {
  assert.equal(GRADABILITY_LIMITS, { minSide: 64, minLit: 0.15, maxBrightness: 220, maxSaturated: 0.5, minContrast: 4, minDetail: 1, minRedness: 1.1 });
});

test('size: 64 pixels a side is gradable, 63 is not; a 1x1 picture is not', () => {
  assert.is(reason(board(64, 64, A, B)), 'gradable');
  assert.match(reason(board(63, 64, A, B)), /63x64, too small to grade/);
  assert.match(reason(createImage(1, 1, [200, 100, 50])), /too small/);
});

test('lit fraction: 31 of 200 rows (15.5%) is a fundus, 29 rows (14.5%) and an all-black frame are not', () => {
  assert.is(reason(board(200, 200, A, B, 0, 31)), 'gradable');
  assert.match(reason(board(200, 200, A, B, 0, 29)), /no fundus found, only 14.5% of the frame is lit/);
  assert.match(reason(createImage(200, 200, 0)), /no fundus found, only 0.0% of the frame is lit .* black or far too dark/);
});

test('exposure: mean brightness 218.12 passes, 221.12 is overexposed', () => {
  // (255,225,200) luma 231.12 and (235,205,180) luma 211.12: mean 221.12, red/green 490/430 = 1.14.
  assert.match(reason(board(100, 100, [255, 225, 200], [235, 205, 180])), /overexposed \(mean brightness 221/);
  // Three levels darker in every channel: mean 218.12, red/green 484/424.
  assert.is(reason(board(100, 100, [252, 222, 197], [232, 202, 177])), 'gradable');
});

test('saturation: 48% of the fundus at 255 passes, 52% is overexposed', () => {
  const withWhite = (rows: number): RgbImage => {
    const image = board(200, 200, A, B);
    image.data.fill(255, 0, rows * 200 * 3);
    return image;
  };
  // 52%: mean luma 0.52 x 255 + 0.48 x 86.94 = 174.3 (under 220), so only the saturated share decides.
  assert.match(reason(withWhite(104)), /overexposed .* 52.0% saturated/);
  assert.is(reason(withWhite(96)), 'gradable');
});

test('contrast: luma ±5 around the mean is a photograph, ±3 is blank', () => {
  assert.is(reason(board(100, 100, [125, 65, 35], [115, 55, 25])), 'gradable');
  assert.match(reason(board(100, 100, [123, 63, 33], [117, 57, 27])), /blank \(brightness varies by 3\.0 levels/);
  assert.match(reason(createImage(300, 300, [255, 255, 255])), /overexposed|blank/);
});

test('colour: red/green 1.12 is a fundus, 1.08 (near grey) is not', () => {
  // (112,100,100) luma 103.59, (84,75,75) luma 77.69: red/green 196/175 = 1.12; then 189/175 = 1.08.
  assert.is(reason(board(100, 100, [112, 100, 100], [84, 75, 75])), 'gradable');
  assert.match(reason(board(100, 100, [108, 100, 100], [81, 75, 75])), /not a fundus photograph \(red\/green 1\.08/);
});

test('focus: a smooth ramp has no detail (Laplacian 0), the same ramp with a ±1 checkerboard has detail about 8', () => {
  const ramp = (ripple: number): RgbImage => {
    const image = createImage(200, 200, 0);
    for (let y = 0; y < 200; y++) {
      for (let x = 0; x < 200; x++) {
        const t = 60 + (80 * x) / 199;
        const r = (x + y) % 2 ? ripple : -ripple;
        image.data.set([Math.round(1.5 * t) + r, Math.round(t) + r, Math.round(0.5 * t) + r], (y * 200 + x) * 3);
      }
    }
    return image;
  };
  assert.match(reason(ramp(0)), /far out of focus/);
  assert.is(reason(ramp(1)), 'gradable');
});

test('rendered synthetic fundus photographs are gradable at 96 and 256 px', () => {
  for (const size of [96, 256]) {
    for (const image of planSyntheticDataset(6, size, 3)) assert.is(reason(renderFundus(image.spec).image), 'gradable', `${image.name} at ${size} px`);
  }
});

test('data inspect lists ungradable photographs; --skip-bad leaves them out', async () => {
  const root = tempDir();
  put(root, 'good.png', encodePng(board(100, 100, A, B)));
  put(root, 'black.jpg', encodeJpeg(createImage(300, 200, 0), 90));
  put(root, 'blank.png', encodePng(createImage(100, 100, [128, 64, 32])));
  put(root, 'labels.csv', 'path,grade\ngood.png,0\nblack.jpg,1\nblank.png,2\n');
  let ctx = captureContext();
  assert.is(await runCli(['data', 'inspect', root], ctx), 1);
  assert.match(ctx.stdout.text, /black\.jpg: error: black: ungradable: no fundus found/);
  assert.match(ctx.stdout.text, /blank\.png: error: blank: ungradable: the photograph is blank/);
  assert.match(ctx.stdout.text, /2 error\(s\), 0 warning\(s\)/);
  ctx = captureContext();
  assert.is(await runCli(['data', 'inspect', root, '--skip-bad'], ctx), 0);
  assert.match(ctx.stdout.text, /images: 1 /);
  ctx = captureContext();
  assert.is(await runCli(['data', 'inspect', root, '--headers-only'], ctx), 0, 'without decoding, only file problems are found');
});

test.run();
