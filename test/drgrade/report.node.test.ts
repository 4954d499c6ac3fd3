// The run report renders in headless Chromium: kappa, fold table, confusion matrix, curves and
// embedded Grad-CAM images, with no request for anything outside the file.
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodePng } from '../../packages/drgrade/src/image/encode.ts';
import { renderReport, summarize, type FoldResult } from '../../packages/drgrade/src/report/index.ts';

function fold(k: number, kappa: number): FoldResult {
  const png = Buffer.from(encodePng({ width: 8, height: 8, data: new Uint8Array(192).map((_, i) => (i * 37) % 256) })).toString('base64');
  return {
    fold: k, kappa, accuracy: 0.5 + k / 10, perClassAccuracy: [0.9, null, 0.5, 0.25, 0],
    confusion: [[9, 1, 0, 0, 0], [0, 0, 0, 0, 0], [1, 0, 2, 1, 0], [0, 0, 3, 1, 0], [0, 0, 0, 1, 0]],
    bestEpoch: 3, trainImages: 80, valImages: 20, seconds: 90,
    history: [1, 2, 3].map((e) => ({ epoch: e, lr: 0.01, trainLoss: 1 / e, valLoss: 1.2 / e, valKappa: kappa * e / 3, valAccuracy: 0.3 + e / 10, imagesPerSecond: 10 })),
    gradcams: [{ id: `img${k}`, grade: 2, predicted: 3, png }],
  };
}

test('summary statistics: mean and sample std of kappa, pooled confusion and per-class accuracy', () => {
  const s = summarize('tiny', 'synthetic', 'llvmpipe', [fold(1, 0.8), fold(0, 0.6)]);
  assert.equal(s.folds.map((f) => f.fold), [0, 1]);
  assert.ok(Math.abs(s.kappaMean - 0.7) < 1e-12);
  assert.ok(Math.abs(s.kappaStd - Math.sqrt(0.02)) < 1e-12);
  assert.equal(s.confusion[0], [18, 2, 0, 0, 0]);
  assert.is(s.perClassAccuracy[1], null);
  assert.ok(Math.abs(s.perClassAccuracy[2]! - 0.5) < 1e-12);
});

test('report.html renders in headless Chromium without outside requests', async () => {
  const dir = join('build', 'test', 'report');
  mkdirSync(dir, { recursive: true });
  const file = join(process.cwd(), dir, 'report.html');
  writeFileSync(file, renderReport(summarize('tiny', 'synthetic (100 images)', 'llvmpipe', [fold(0, 0.6), fold(1, 0.8)])));
  const args = JSON.parse(readFileSync('test/helpers/chromium-args.json', 'utf8')) as string[];
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args });
  try {
    const page = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`file://${file}`);
    assert.match(await page.textContent('#kappa') ?? '', /0\.700 ± 0\.141/);
    assert.is(await page.locator('#folds tr').count(), 3);
    assert.ok(await page.locator('svg').count() >= 5, 'confusion matrix and learning curves are drawn');
    const cams = page.locator('figure.cam img');
    assert.is(await cams.count(), 2);
    assert.ok(await cams.first().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 8), 'Grad-CAM PNG decodes');
    await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    assert.equal(errors, []);
    assert.equal(requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:')), []);
  } finally {
    await browser.close();
  }
});

test.run();
