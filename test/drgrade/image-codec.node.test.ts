import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ImageDecodeError, type RgbImage, createImage, decodeImage, encodeJpeg, encodePng, exifOrientation, probeImage, applyOrientation } from 'drgrade';
import { SAMPLE_IMAGES, compareImages, fixture, readFixtureImage, readFixtureJson, sampleRoot } from './helpers.ts';

function medianDifference(a: RgbImage, b: RgbImage): number {
  assert.equal([a.width, a.height], [b.width, b.height]);
  const d = Array.from(a.data, (v, i) => Math.abs(v - (b.data[i] as number))).sort((x, y) => x - y);
  return d[Math.floor(d.length / 2)] as number;
}

function decodeFails(bytes: Uint8Array, kind: string, options = {}): void {
  try {
    decodeImage(bytes, options);
  } catch (error) {
    assert.instance(error, ImageDecodeError);
    assert.is((error as ImageDecodeError).kind, kind, (error as Error).message);
    return;
  }
  assert.unreachable(`expected a ${kind} error`);
}

test('JPEG decoding (jpeg-js) agrees with OpenCV/libjpeg on a real photograph', () => {
  const meta = readFixtureJson<{ decodedCrop: { x: number; y: number; size: number; file: string } }>('meta.json');
  const { x, y, size, file } = meta.decodedCrop;
  const image = decodeImage(readFileSync(join(sampleRoot(), SAMPLE_IMAGES, file)));
  assert.is(image.width, 768);
  assert.is(image.height, 514);
  const crop = { width: size, height: size, data: new Uint8Array(size * size * 3) };
  for (let row = 0; row < size; row++) crop.data.set(image.data.subarray(((y + row) * image.width + x) * 3, ((y + row) * image.width + x + size) * 3), row * size * 3);
  const diff = compareImages(crop, readFixtureImage('real_decoded_crop.png'));
  // IDCT and chroma upsampling differ slightly between decoders.
  assert.ok(diff.mean < 1.5, `mean ${diff.mean}`);
  assert.ok(diff.max <= 12, `max ${diff.max}`);
});

test('EXIF orientations 3, 6 and 8 are applied as Pillow\'s exif_transpose does', () => {
  for (const orientation of [3, 6, 8]) {
    const bytes = readFileSync(fixture(`exif_orientation${orientation}.jpg`));
    assert.is(probeImage(bytes).orientation, orientation);
    const upright = decodeImage(bytes);
    const expected = readFixtureImage(`exif_orientation${orientation}_expected.png`);
    assert.is(upright.width, expected.width, `orientation ${orientation} width`);
    assert.is(upright.height, expected.height);
    // Pillow's libjpeg upsamples chroma differently from jpeg-js, which shows at the sharp colour
    // edges of this test card; the median difference is what says the pixels are in place.
    assert.ok(medianDifference(upright, expected) <= 3, `orientation ${orientation}`);
    const wrong = applyOrientation(decodeImage(bytes, { applyExifOrientation: false }), orientation === 6 ? 8 : 6);
    if (wrong.width === expected.width) assert.ok(medianDifference(wrong, expected) > 50, 'a wrong rotation is detected');
    const raw = decodeImage(bytes, { applyExifOrientation: false });
    assert.is(raw.width, 40, 'stored pixels are 40x24');
  }
});

test('all eight orientations: a marked corner lands where the EXIF definition puts it', () => {
  // 3x2 image, pixel (0,0) marked. Where the stored top-left corner appears after each transform:
  const image = createImage(3, 2);
  image.data[0] = 255;
  const corner: Record<number, [number, number, number, number]> = {
    1: [0, 0, 3, 2], 2: [2, 0, 3, 2], 3: [2, 1, 3, 2], 4: [0, 1, 3, 2], 5: [0, 0, 2, 3], 6: [1, 0, 2, 3], 7: [1, 2, 2, 3], 8: [0, 2, 2, 3],
  };
  for (const [o, [x, y, w, h]] of Object.entries(corner)) {
    const out = applyOrientation(image, Number(o));
    assert.equal([out.width, out.height], [w, h], `orientation ${o}`);
    assert.is(out.data[(y * w + x) * 3], 255, `orientation ${o}: marked pixel at (${x},${y})`);
  }
  assert.is(exifOrientation(new Uint8Array([1, 2, 3])), 1);
});

test('16-bit, grayscale and RGBA PNGs become 8-bit RGB', () => {
  assert.equal(decodeImage(readFileSync(fixture('png16.png'))), readFixtureImage('png16_expected.png'));
  assert.equal(decodeImage(readFileSync(fixture('gray.png'))), readFixtureImage('gray_expected.png'));
  const rgba = compareImages(decodeImage(readFileSync(fixture('rgba.png'))), readFixtureImage('rgba_expected.png'));
  assert.ok(rgba.max <= 1, 'alpha composited over black');
});

test('PNG round trip is lossless; JPEG round trip is close', () => {
  const image = createImage(17, 9);
  for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 31) % 256;
  assert.equal(decodeImage(encodePng(image)), image);
  const smooth = createImage(32, 32, [180, 90, 40]);
  assert.ok(compareImages(decodeImage(encodeJpeg(smooth, 95)), smooth).mean < 2);
});

test('truncated, corrupt and non-image files are reported by kind, not thrown as crashes', () => {
  const jpeg = readFileSync(join(sampleRoot(), SAMPLE_IMAGES, 'Patient296_L.jpg'));
  decodeFails(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'truncated');
  decodeFails(jpeg.subarray(0, 300), 'truncated');
  const png = encodePng(createImage(20, 20, 99));
  decodeFails(png.subarray(0, png.length - 20), 'truncated');
  const flipped = new Uint8Array(png);
  flipped[40] = (flipped[40] as number) ^ 0xff;
  decodeFails(flipped, 'corrupt');
  decodeFails(new TextEncoder().encode('not an image at all'), 'corrupt');
  decodeFails(new Uint8Array(0), 'truncated');
  // Entropy-coded data destroyed in the middle of a structurally intact JPEG.
  const damaged = new Uint8Array(jpeg);
  damaged.fill(0xff, 5000, 5100);
  assert.throws(() => decodeImage(damaged), (e: unknown) => e instanceof ImageDecodeError);
});

test('decompression-bomb limit: the header size is checked before decoding', () => {
  const bytes = readFileSync(join(sampleRoot(), SAMPLE_IMAGES, 'Patient296_L.jpg'));
  decodeFails(bytes, 'too-large', { maxPixels: 100_000 });
  // A PNG that declares 100000 x 100000 pixels in a few bytes.
  const png = new Uint8Array(encodePng(createImage(1, 1)));
  const view = new DataView(png.buffer);
  view.setUint32(16, 100000);
  view.setUint32(20, 100000);
  // Fix the IHDR CRC so only the size is wrong.
  let c = 0xffffffff;
  for (let i = 12; i < 29; i++) {
    c ^= png[i] as number;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  view.setUint32(29, (c ^ 0xffffffff) >>> 0);
  assert.is(probeImage(png).width, 100000);
  decodeFails(png, 'too-large');
});

test.run();
