// Preprocessing against OpenCV outputs written by test/fixtures/gen_data_goldens.py.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  benGraham, cropBlackBorder, foregroundBox, gaussianBlur, gaussianKernelSize, invertAffine, padToSquare, preprocessFundus,
  reflect101, resize, warpAffine, affineAboutCentre, type Affine,
} from 'drgrade';
import { compareImages, readFixtureImage, readFixtureJson } from './helpers.ts';

interface Meta {
  warp: { angleDegrees: number; scale: number; matrix: number[]; fill: number };
  realPipeline: { box: [number, number, number, number]; size: number; sigma: number };
}
const meta = readFixtureJson<Meta>('meta.json');
const input = readFixtureImage('synthetic_input.png');
const real = readFixtureImage('real_input.png');
const report: string[] = [];

function agree(name: string, ours: Parameters<typeof compareImages>[0], expected: string, meanLimit: number, maxLimit: number): void {
  const diff = compareImages(ours, readFixtureImage(expected));
  report.push(`${name}: mean |diff| ${diff.mean.toFixed(3)}, max ${diff.max}, >1 level ${(100 * diff.over1).toFixed(2)}%`);
  assert.ok(diff.mean <= meanLimit, `${name}: mean difference ${diff.mean} > ${meanLimit}`);
  assert.ok(diff.max <= maxLimit, `${name}: max difference ${diff.max} > ${maxLimit}`);
}

test('kernel size and border rule are OpenCV\'s', () => {
  // cv2.getGaussianKernel size for GaussianBlur(ksize=(0,0), sigma) on 8-bit images.
  assert.is(gaussianKernelSize(10), 61);
  assert.is(gaussianKernelSize(1.5), 11);
  assert.is(gaussianKernelSize(0.25), 3);
  // BORDER_REFLECT_101: gfedcb|abcdefgh|gfedcba
  assert.equal([-3, -2, -1, 0, 7, 8, 9, 10].map((i) => reflect101(i, 8)), [3, 2, 1, 0, 7, 6, 5, 4]);
  assert.is(reflect101(-5, 1), 0);
});

test('GaussianBlur matches cv2.GaussianBlur (sigma 1.5 and 4, reflect-101 borders)', () => {
  agree('blur σ1.5', gaussianBlur(input, 1.5), 'synthetic_blur_1.5.png', 0.5, 1);
  // σ 4 gives a 25-tap kernel on a 47-pixel-high image: borders dominate.
  agree('blur σ4', gaussianBlur(input, 4), 'synthetic_blur_4.0.png', 0.5, 1);
});

test('Ben Graham equals cv2.addWeighted(img, 4, GaussianBlur(img, σ), −4, 128)', () => {
  // A blur off by one grey level is amplified 4x, hence the larger maximum.
  agree('Ben Graham σ3', benGraham(input, 3), 'synthetic_bengraham_3.0.png', 1.5, 4);
});

test('resize: INTER_AREA when shrinking (integer and fractional factors), INTER_LINEAR when enlarging', () => {
  agree('area 61x47→29x23', resize(input, 29, 23), 'synthetic_area_29x23.png', 0.5, 1);
  agree('area 61x47→20x20', resize(input, 20, 20), 'synthetic_area_20x20.png', 0.5, 1);
  // OpenCV's 8-bit bilinear uses 11-bit fixed-point weights.
  agree('linear 61x47→97x71', resize(input, 97, 71), 'synthetic_linear_97x71.png', 0.6, 2);
});

test('warpAffine with our rotation about the centre matches cv2.getRotationMatrix2D + warpAffine', () => {
  const { angleDegrees, scale, matrix, fill } = meta.warp;
  const forward = affineAboutCentre(input.width, input.height, (angleDegrees * Math.PI) / 180, 0, 0, scale, 0);
  forward.forEach((v, i) => assert.ok(Math.abs(v - (matrix[i] as number)) < 1e-9, `matrix[${i}] ${v} vs OpenCV ${matrix[i]}`));
  // OpenCV rounds sample positions to 1/32 pixel; on this image's hard checkerboard edges
  // (~200 levels per pixel) that moves a few samples by up to ~6 levels.
  agree('warpAffine 30° x1.1', warpAffine(input, invertAffine(matrix as unknown as Affine), input.width, input.height, fill), 'synthetic_warp.png', 0.6, 6);
});

test('real photograph: black-border box, square pad, INTER_AREA and Ben Graham as in OpenCV', () => {
  const box = foregroundBox(real);
  const [x, y, w, h] = meta.realPipeline.box;
  assert.equal(box, { x, y, width: w, height: h });
  const square = resize(padToSquare(cropBlackBorder(real)), meta.realPipeline.size, meta.realPipeline.size);
  agree('real crop+pad+area 96', square, 'real_resized_96.png', 0.5, 1);
  agree('real Ben Graham σ2', benGraham(square, meta.realPipeline.sigma), 'real_bengraham_96_sigma2.png', 1.5, 4);
  const pipeline = preprocessFundus(real, { size: meta.realPipeline.size, sigma: meta.realPipeline.sigma });
  agree('preprocessFundus', pipeline, 'real_bengraham_96_sigma2.png', 1.5, 4);
});

test('black-border crop keeps an all-black image and crops a framed one', () => {
  const black = { width: 5, height: 4, data: new Uint8Array(60) };
  assert.is(cropBlackBorder(black), black);
  const framed = { width: 6, height: 5, data: new Uint8Array(90) };
  // Grey 8 at (2,1) and (4,3): the box spans them. Grey 7 (at (0,0)) does not count.
  framed.data.fill(7, 0, 3);
  framed.data.fill(8, (1 * 6 + 2) * 3, (1 * 6 + 2) * 3 + 3);
  framed.data.fill(8, (3 * 6 + 4) * 3, (3 * 6 + 4) * 3 + 3);
  assert.equal(foregroundBox(framed), { x: 2, y: 1, width: 3, height: 3 });
  const cropped = cropBlackBorder(framed);
  assert.is(cropped.width, 3);
  assert.is(cropped.height, 3);
});

test('agreement summary', () => {
  console.log(`\n  OpenCV agreement (8-bit grey levels):\n    ${report.join('\n    ')}`);
  assert.ok(report.length >= 8);
});

test.run();
