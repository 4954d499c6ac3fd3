import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DEFAULT_AUGMENT, Rng, affineAboutCentre, augment, colorJitter, createImage, flipHorizontal, flipVertical, invertAffine,
  randomAffine, randomResizedCrop, warpAffine, type RgbImage,
} from 'drgrade';
import { readFixtureImage } from './helpers.ts';

const photo = readFixtureImage('real_resized_96.png');

function pixel(image: RgbImage, x: number, y: number): number[] {
  return Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));
}

test('flips mirror the right way and are their own inverse', () => {
  const image = createImage(4, 3);
  image.data.set([255, 0, 0], 0);
  assert.equal(pixel(flipHorizontal(image), 3, 0), [255, 0, 0]);
  assert.equal(pixel(flipVertical(image), 0, 2), [255, 0, 0]);
  assert.equal(flipHorizontal(flipHorizontal(photo)), photo);
  assert.equal(flipVertical(flipVertical(photo)), photo);
});

test('affine: identity is exact, 90° rotation moves a corner counter-clockwise', () => {
  const identity = affineAboutCentre(photo.width, photo.height, 0, 0, 0, 1, 0);
  assert.equal(warpAffine(photo, invertAffine(identity), photo.width, photo.height), photo);
  const image = createImage(5, 5);
  image.data.set([200, 200, 200], (0 * 5 + 4) * 3); // top-right corner
  const rotated = warpAffine(image, invertAffine(affineAboutCentre(5, 5, Math.PI / 2, 0, 0, 1, 0)), 5, 5);
  assert.equal(pixel(rotated, 0, 0), [200, 200, 200], 'counter-clockwise: top-right goes to top-left');
  const composed = invertAffine(invertAffine([1.2, 0.3, 4, -0.2, 0.9, -1]));
  [1.2, 0.3, 4, -0.2, 0.9, -1].forEach((v, i) => assert.ok(Math.abs((composed[i] as number) - v) < 1e-12));
});

test('random resized crop and affine: requested size, seeded and reproducible', () => {
  const a = randomResizedCrop(photo, new Rng(5), { size: 64 });
  assert.equal([a.width, a.height], [64, 64]);
  assert.equal(randomResizedCrop(photo, new Rng(5), { size: 64 }), a);
  assert.not.equal(randomResizedCrop(photo, new Rng(6), { size: 64 }).data, a.data);
  const b = randomAffine(photo, new Rng(1), { degrees: 30, translate: [0.1, 0.1], scale: [0.9, 1.1], shear: 10, fill: 128 });
  assert.equal([b.width, b.height], [photo.width, photo.height]);
  assert.equal(randomAffine(photo, new Rng(1), { degrees: 30, translate: [0.1, 0.1], scale: [0.9, 1.1], shear: 10, fill: 128 }), b);
  // Impossible ratio range: falls back to the centre crop rather than looping or failing.
  const narrow = randomResizedCrop(createImage(40, 10, 50), new Rng(2), { size: 8, scale: [0.9, 1], ratio: [0.2, 0.25] });
  assert.equal([narrow.width, narrow.height], [8, 8]);
});

test('colour jitter changes colour, not geometry, and zero jitter is the identity', () => {
  assert.equal(colorJitter(photo, new Rng(1), {}), photo);
  const j = colorJitter(photo, new Rng(1), { brightness: 0.3, contrast: 0.3, saturation: 0.3 });
  assert.not.equal(j.data, photo.data);
  const grey = createImage(3, 3, 100);
  const g = colorJitter(grey, new Rng(4), { saturation: 0.9 });
  assert.equal(g.data, grey.data, 'a grey image has no saturation to change');
});

test('augment(): every step in one seeded call; same seed same image', () => {
  const x = augment(photo, new Rng(9), 48, DEFAULT_AUGMENT);
  assert.equal([x.width, x.height], [48, 48]);
  assert.equal(augment(photo, new Rng(9), 48, DEFAULT_AUGMENT), x);
  const distinct = new Set(Array.from({ length: 8 }, (_, s) => augment(photo, new Rng(s), 48, DEFAULT_AUGMENT).data.join(',')));
  assert.is(distinct.size, 8);
  const plain = augment(photo, new Rng(9), 48, {});
  assert.equal(plain, augment(photo, new Rng(123), 48, {}), 'no random steps: deterministic resize');
});

test.run();
