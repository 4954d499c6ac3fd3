// The run report renders in headless Chromium: kappa, fold table, confusion matrix, curves and
// embedded Grad-CAM images, with no request for anything outside the file. report.json,
// report.html and predictions.csv over hand-made fold results carry the out-of-fold DR metrics
// (hand-computed below), the learning curves and the run's provenance.
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodePng } from '../../packages/drgrade/src/image/encode.ts';
import { renderReport, summarize, type FoldResult, type ImagePrediction, type RunSummary } from '../../packages/drgrade/src/report/index.ts';
import { kappaCurves } from '../../packages/drgrade/src/report/html-curves.ts';
import { writeReport } from '../../packages/drgrade/src/train/cross-validation.ts';
import { repoRoot, tempDir } from './helpers.ts';

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

/**
 * Two folds of four images, probabilities in eighths (exact sums). P(grade >= 2) = p2+p3+p4 and
 * the prediction of each image:
 *   fold 0: a grade 0 → 0 (1/8), b 1 → 2 (5/8), c 2 → 2 (7/8), d 3 → 1 (3/8)
 *   fold 1: e grade 0 → 0 (2/8), f 4 → 4 (8/8), g 2 → 0 (2/8, tied with e), h 0 → 1 (1/8, tied with a)
 */
const EIGHTHS: [string, number, number, number[]][][] = [
  [['a', 0, 0, [6, 1, 1, 0, 0]], ['b', 1, 2, [1, 2, 3, 2, 0]], ['c', 2, 2, [0, 1, 5, 2, 0]], ['d', 3, 1, [1, 4, 1, 1, 1]]],
  [['e', 0, 0, [4, 2, 1, 1, 0]], ['f', 4, 4, [0, 0, 1, 1, 6]], ['g', 2, 0, [5, 1, 2, 0, 0]], ['h', 0, 1, [2, 5, 1, 0, 0]]],
];

function handmade(k: number): FoldResult {
  const predictions: ImagePrediction[] = EIGHTHS[k]!.map(([id, grade, predicted, p]) => ({ id, patient: `P${id}`, grade, predicted, probabilities: p.map((v) => v / 8) }));
  const confusion = Array.from({ length: 5 }, () => [0, 0, 0, 0, 0]);
  for (const p of predictions) confusion[p.grade]![p.predicted]! += 1;
  return {
    ...fold(k, [0.5, 0.25][k]!), confusion, predictions, bestEpoch: 2, gradcams: [],
    ...(k === 0 ? { selection: 'validation' as const } : {}),
    kernels: { autotune: true, timed: [3, 0][k]! },
  };
}

const near = (got: number | null | undefined, want: number, what: string) => assert.ok(typeof got === 'number' && Math.abs(got - want) < 1e-12, `${what}: ${got}, expected ${want}`);

test('report.json, report.html and predictions.csv over hand-made out-of-fold predictions', async () => {
  const run = tempDir();
  writeFileSync(join(run, 'config.json'), `${JSON.stringify({ name: 'handmade', seed: 7, train: { folds: 2 } })}\n`);
  for (const k of [0, 1]) {
    mkdirSync(join(run, `fold-${k}`));
    writeFileSync(join(run, `fold-${k}`, 'result.json'), JSON.stringify(handmade(k)));
  }
  const before = Date.now();
  await writeReport([run], join(run, 'report.html'), 'handmade (8 images)');
  const json = JSON.parse(readFileSync(join(run, 'report.json'), 'utf8')) as RunSummary;
  const o = json.outOfFold!;
  // Referable: c, d, f, g (P = 4) against a, b, e, h (N = 4). Pairs won: c 4, d 3 (a, e, h), f 4,
  // g 2.5 (a, h, and half of the tie with e): 13.5 / 16.
  near(o.pooled.referable.auc, 13.5 / 16, 'pooled AUC');
  near(o.pooled.referable.sensitivity, 2 / 4, 'pooled sensitivity (c, f called referable)');
  near(o.pooled.referable.specificity, 3 / 4, 'pooled specificity (a, e, h called not referable)');
  assert.equal([o.pooled.referable.positives, o.pooled.referable.negatives], [4, 4]);
  // All eight together: scikit-learn's cohen_kappa_score(weights='quadratic', labels 0-4) gives 2/3;
  // eight patients of one image each, so the bootstrap interval is over eight.
  near(o.pooledKappa.kappa, 2 / 3, 'pooled kappa');
  assert.is(o.pooledKappa.patients, 8);
  assert.ok(o.pooledKappa.interval !== null && o.pooledKappa.interval[0] < 2 / 3 && 2 / 3 < o.pooledKappa.interval[1], `interval ${o.pooledKappa.interval}`);
  // Scores from high to low: f+, c+, b−, d+, {e−, g+}, {a−, h−}.
  assert.equal(o.pooled.referable.roc, { fpr: [0, 0, 0, 0.25, 0.25, 0.5, 1], tpr: [0, 0.25, 0.5, 0.5, 0.75, 1, 1] });
  // Screening points on that curve (P = N = 4): 80 % and 90 % sensitivity first at 2/8 (g and e,
  // fp 2); 95 % specificity allows no false positive, so the last point before b, at 7/8 (c).
  assert.equal(o.pooled.referable.operatingPoints, [
    { fix: 'sensitivity', at: 0.8, threshold: 0.25, sensitivity: 1, specificity: 0.5 },
    { fix: 'sensitivity', at: 0.9, threshold: 0.25, sensitivity: 1, specificity: 0.5 },
    { fix: 'specificity', at: 0.95, threshold: 0.875, sensitivity: 0.5, specificity: 1 },
  ]);
  assert.equal(o.pooled.confusion, [[2, 1, 0, 0, 0], [0, 0, 1, 0, 0], [1, 0, 1, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 1]]);
  [[200 / 3, 100 / 3, 0, 0, 0], [0, 0, 100, 0, 0], [50, 0, 50, 0, 0], [0, 100, 0, 0, 0], [0, 0, 0, 0, 100]]
    .forEach((row, i) => row.forEach((v, j) => near(json.confusionRowPercent[i]![j], v, `row percent ${i},${j}`)));
  // Columns: predicted 0 = a, e, g; 1 = d, h; 2 = b, c; 3 none; 4 = f.
  assert.equal(o.pooled.perClass.map((c) => c.precision), [2 / 3, 0, 0.5, null, 1]);
  assert.equal(o.pooled.perClass.map((c) => c.recall), [2 / 3, 0, 0.5, 0, 1]);
  // Fold 0: AUC (c 2 + d 1) / 4, sensitivity c / (c, d), specificity a / (a, b).
  // Fold 1: AUC (f 2 + g 1.5) / 4, sensitivity f / (f, g), specificity e, h / (e, h).
  assert.equal(o.byFold, [
    { fold: 0, images: 4, auc: 0.75, sensitivity: 0.5, specificity: 0.5 },
    { fold: 1, images: 4, auc: 0.875, sensitivity: 0.5, specificity: 1 },
  ]);
  near(o.byFoldMean.auc.mean, 0.8125, 'mean AUC');
  near(o.byFoldMean.auc.std, 0.0625 * Math.SQRT2, 'std AUC');
  near(o.byFoldMean.specificity.std, Math.sqrt(0.125), 'std specificity');
  assert.is(o.byFoldMean.sensitivity.folds, 2);
  const p = json.provenance!;
  assert.equal(p.config, { name: 'handmade', seed: 7, train: { folds: 2 } });
  assert.is(p.seed, 7);
  assert.is(p.drgradeVersion, (JSON.parse(readFileSync(join(repoRoot(), 'packages', 'drgrade', 'package.json'), 'utf8')) as { version: string }).version);
  assert.ok(Date.parse(p.date) >= before - 1000 && Date.parse(p.date) <= Date.now(), p.date);
  assert.ok(p.adapter.length > 0 && p.adapter === json.adapter);
  // printf 'a,0,0\nb,1,0\nc,2,0\nd,3,0\ne,0,1\nf,4,1\ng,2,1\nh,0,1\n' | sha256sum
  assert.is(p.fingerprint!.sha256, '91be7c8269e6d19e5c74b23ff0caf60ac936c086b628c04d8e5031c720874d3b');
  assert.is(json.folds[0]!.predictions, undefined, 'predictions live in predictions.csv');
  const csv = readFileSync(join(run, 'predictions.csv'), 'utf8').split('\n');
  assert.is(csv[0], 'id,patient,fold,grade,predicted,p0,p1,p2,p3,p4');
  assert.is(csv[1], 'a,Pa,0,0,0,0.75,0.125,0.125,0,0');
  assert.is(csv[8], 'h,Ph,1,0,1,0.25,0.625,0.125,0,0');
  assert.is(csv.length, 10);
  const html = readFileSync(join(run, 'report.html'), 'utf8');
  // Wilson intervals of 2 of 4 and 3 of 4 (scipy's binomtest(k, 4).proportion_ci(method='wilson'): 0.150-0.850, 0.301-0.954).
  assert.match(html, /id="pooled-kappa">All out-of-fold predictions together: kappa 0\.667 \[-?\d\.\d{3}, \d\.\d{3}\] \(95 % interval, bootstrap over the 8 patients\)/);
  assert.match(html, /id="referable">AUC <b>0\.844<\/b> \[0\.\d{3}, 1\.000\] · sensitivity <b>0\.500<\/b> \[0\.150, 0\.850\] · specificity <b>0\.750<\/b> \[0\.301, 0\.954\]/);
  assert.match(html, /<th>mean ± std<\/th><td><\/td><td>0\.813 ± 0\.088<\/td><td>0\.500 ± 0\.000<\/td><td>0\.750 ± 0\.354<\/td>/);
  assert.match(html, /aria-label="ROC curve, referable DR/);
  assert.match(html, /<li>at sensitivity ≥ 0\.80: sensitivity 1\.000, specificity 0\.500 \(P\(grade ≥ 2\) ≥ 0\.250\)<\/li>/);
  assert.match(html, /<li>at specificity ≥ 0\.95: sensitivity 0\.500, specificity 1\.000 \(P\(grade ≥ 2\) ≥ 0\.875\)<\/li>/);
  assert.match(html, /<table id="per-class">.*<td>–<\/td><td>0\.000<\/td>/s);
  assert.match(html, /<table id="confusion-percent">.*<td>66\.7%<\/td><td>33\.3%<\/td>/s);
  assert.match(html, /<figure id="kappa-curves">.*mean over folds.*selected epoch/s);
  assert.is([...html.matchAll(/<title>fold \d: epoch 2 selected/g)].length, 2, 'a ring at each fold\'s selected epoch');
  assert.match(html, /fold 1: epoch 2 selected \(best held-out kappa \(older run: optimistic\)\)/);
  assert.match(html, /<table id="provenance">.*91be7c82.*<pre id="config">/s);
  assert.equal(p.kernels, { repeatable: 1, of: 2, autotune: 'on' }, 'fold 1 timed no kernel choice, fold 0 three');
  assert.match(html, /<th>kernel choices<\/th><td>fixed throughout in 1 of 2 folds \(autotuner on\)/);
  assert.match(html, /graded by the model of its selected epoch \([^)]*\)\)\.<\/p>/, 'no flips mentioned for a run without train.tta');
  // The same run configured with test-time flips says that its fold figures average over flips and its curves do not.
  writeFileSync(join(run, 'config.json'), `${JSON.stringify({ name: 'handmade', seed: 7, train: { folds: 2, tta: true } })}\n`);
  await writeReport([run], join(run, 'report.html'), 'handmade (8 images)');
  assert.match(readFileSync(join(run, 'report.html'), 'utf8'), /averaged over each image and its horizontal, vertical and double flips \(train\.tta\); the learning curves score every epoch in one pass, without flips\.<\/p>/);
});

test('folds without predictions: no out-of-fold metrics or predictions.csv, folds.csv fingerprinted', async () => {
  const run = tempDir();
  mkdirSync(join(run, 'fold-0'));
  writeFileSync(join(run, 'fold-0', 'result.json'), JSON.stringify(fold(0, 0.5)));
  writeFileSync(join(run, 'folds.csv'), 'id,fold\na,0\n');
  const s = await writeReport([join(run, 'fold-0')], join(run, 'report.html'), '');
  assert.is(s.outOfFold, null);
  assert.not.ok(existsSync(join(run, 'predictions.csv')));
  // printf 'id,fold\na,0\n' | sha256sum
  assert.is(s.provenance!.fingerprint!.sha256, '322303934e53679e7d0dc42426176b59ec9001c2c333413f110d876c6f2ce172');
  assert.is(s.provenance!.config, null);
  assert.match(readFileSync(join(run, 'report.html'), 'utf8'), /No out-of-fold predictions in fold 0/);
});

test('learning curves of a run with a moving average of the weights: a dashed mean of the trained weights\' kappa', () => {
  const withRaw = (k: number, raw: number[]): FoldResult => ({ ...fold(k, 0.5), history: raw.map((r, i) => ({ ...fold(k, 0.5).history[0]!, epoch: i + 1, valKappa: 0.4 + 0.1 * i, rawValKappa: r })) });
  const html = kappaCurves([withRaw(0, [0.1, 0.3]), withRaw(1, [0.3, 0.5])]);
  assert.is([...html.matchAll(/stroke-dasharray/g)].length, 1);
  assert.match(html, />trained weights, mean \(not averaged\)</);
  assert.not.match(kappaCurves([fold(0, 0.5), fold(1, 0.6)]), /stroke-dasharray|trained weights/);
});

test('report.html renders in headless Chromium without outside requests', async () => {
  const dir = join('build', 'test', 'report');
  mkdirSync(dir, { recursive: true });
  const file = join(process.cwd(), dir, 'report.html');
  writeFileSync(file, renderReport(summarize('tiny', 'synthetic (100 images)', 'llvmpipe', [{ ...fold(0, 0.6), predictions: handmade(0).predictions }, { ...fold(1, 0.8), predictions: handmade(1).predictions }])));
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
    assert.ok(await page.locator('svg').count() >= 7, 'ROC curve, confusion matrix and learning curves are drawn');
    assert.match(await page.textContent('#referable') ?? '', /AUC 0\.844/);
    assert.is(await page.locator('#kappa-curves circle title').count(), 2, 'selected epochs marked');
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
