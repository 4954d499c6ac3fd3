// Confidence intervals (packages/drgrade/src/metrics/intervals.ts): Wilson's score intervals against
// scipy, DeLong's AUC intervals against the paper's O(m n) definition written in Python, the
// bootstrap's percentiles against numpy (test/fixtures/gen_interval_goldens.py); the bootstrap over
// patients against the normal theory of a mean, and its clustering by what duplicated patients do
// to the width; the intervals drMetrics reports beside the rates.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clusterBootstrapInterval, clustersOf, delongAucInterval, drMetrics, quantile, wilsonInterval, Z95 } from 'drgrade';
import { repoRoot } from './helpers.ts';

interface Goldens {
  wilson: { successes: number; n: number; interval: [number, number] }[];
  delong: { positive: boolean[]; score: number[]; auc: number; interval: [number, number] | null }[];
  quantile: { values: number[]; q: number[]; expected: number[] }[];
}
const golden = JSON.parse(readFileSync(join(repoRoot(), 'test', 'fixtures', 'data', 'interval_goldens.json'), 'utf8')) as Goldens;

function close(got: readonly number[] | null, want: readonly number[], tol: number, what: string): void {
  assert.ok(got !== null, `${what}: no interval`);
  got!.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) <= tol, `${what}: [${got!.join(', ')}] vs [${want.join(', ')}]`));
}

test('Wilson score intervals match scipy (binomtest proportion_ci, method wilson), 0 and n successes included; none for n = 0', () => {
  assert.ok(golden.wilson.some((c) => c.successes === 0) && golden.wilson.some((c) => c.successes === c.n));
  for (const c of golden.wilson) close(wilsonInterval(c.successes, c.n), c.interval, 1e-12, `${c.successes}/${c.n}`);
  assert.is(wilsonInterval(0, 0), null);
  assert.throws(() => wilsonInterval(5, 4), /5 successes of 4/);
  assert.is(Z95.toFixed(9), '1.959963985');
});

test('DeLong AUC intervals match the pairwise definition, tied scores included; none with one positive or at perfect separation', () => {
  assert.ok(golden.delong.some((c) => new Set(c.score).size < c.score.length / 2), 'a case with many ties');
  assert.ok(golden.delong.some((c) => c.auc === 1 && c.interval === null), 'a perfectly separated case');
  for (const [i, c] of golden.delong.entries()) {
    if (c.interval === null) assert.is(delongAucInterval(c.positive, c.score), null, `case ${i} (AUC ${c.auc})`);
    else close(delongAucInterval(c.positive, c.score), c.interval, 1e-9, `case ${i} (AUC ${c.auc})`);
  }
  assert.is(delongAucInterval([true, false, false], [0.9, 0.1, 0.2]), null);
  assert.throws(() => delongAucInterval([true, false], [0.5, Number.NaN]), /score\[1\] = NaN/);
});

test('quantile interpolates as numpy.percentile does', () => {
  for (const c of golden.quantile) {
    const sorted = [...c.values].sort((a, b) => a - b);
    close(c.q.map((q) => quantile(sorted, q)), c.expected, 1e-12, `${c.values.length} values`);
  }
});

/** n values of a standard normal, drawn by Box–Muller from a fixed LCG (independent of the code under test). */
function normals(n: number, seed: number): number[] {
  let s = seed;
  const u = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 0.5) / 4294967296; };
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

test('the patient bootstrap of a mean agrees with normal theory, and resampling patients, not eyes, keeps two eyes of one patient from narrowing it', () => {
  const n = 400, x = normals(n, 7);
  const meanOf = (ix: number[], values: number[]) => ix.reduce((s, i) => s + values[i]!, 0) / ix.length;
  const mean = x.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const opts = { resamples: 2000, seed: 3 };
  const one = clusterBootstrapInterval(x.map((_, i) => [i]), (ix) => meanOf(ix, x), opts)!;
  const theory = 2 * Z95 * sd / Math.sqrt(n);
  assert.ok(one[0] < mean && mean < one[1], `[${one}] holds the mean ${mean}`);
  assert.ok(Math.abs((one[1] - one[0]) / theory - 1) < 0.1, `width ${one[1] - one[0]} vs normal theory ${theory}`);
  // Every patient twice (both eyes alike): as uncertain as 400 values, not 800.
  const eyes = x.flatMap((v) => [v, v]);
  const patients = clustersOf(eyes.map((_, i) => `P${Math.floor(i / 2)}`));
  assert.is(patients.length, n);
  const byPatient = clusterBootstrapInterval(patients, (ix) => meanOf(ix, eyes), opts)!;
  const byEye = clusterBootstrapInterval(eyes.map((_, i) => [i]), (ix) => meanOf(ix, eyes), opts)!;
  const ratio = (byEye[1] - byEye[0]) / (byPatient[1] - byPatient[0]);
  assert.ok(Math.abs((byPatient[1] - byPatient[0]) / theory - 1) < 0.1, `by patient: width ${byPatient[1] - byPatient[0]} vs ${theory}`);
  assert.ok(Math.abs(ratio - Math.SQRT1_2) < 0.08, `eye by eye the interval is 1/√2 as wide: ${ratio}`);
  // A seed repeats; another seed moves the ends a little; one patient has no interval; the level is used.
  assert.equal(clusterBootstrapInterval(patients, (ix) => meanOf(ix, eyes), opts), byPatient);
  assert.not.equal(clusterBootstrapInterval(patients, (ix) => meanOf(ix, eyes), { ...opts, seed: 4 }), byPatient);
  const narrow = clusterBootstrapInterval(patients, (ix) => meanOf(ix, eyes), { ...opts, level: 0.5 })!;
  assert.ok(narrow[1] - narrow[0] < 0.5 * (byPatient[1] - byPatient[0]), `a 50 % interval is narrower: [${narrow}]`);
  assert.is(clusterBootstrapInterval([[0, 1]], () => 1, opts), null);
  assert.equal(clustersOf(['a', 'b', 'a', 'c', 'b']), [[0, 2], [1, 4], [3]]);
});

test('drMetrics reports each rate with its Wilson interval and the AUC with its DeLong interval', () => {
  const grades = [0, 0, 1, 2, 3, 4, 0, 2, 1, 4, 0, 3];
  const predicted = [0, 1, 1, 2, 2, 4, 0, 1, 0, 3, 2, 3];
  const probabilities = grades.map((g, i) => { const p = [0.1, 0.1, 0.1, 0.1, 0.1]; p[predicted[i]!] = 0.6; p[g] = p[g]! + 0.05 * (i % 3); return p; });
  const r = drMetrics(grades, predicted, probabilities, 5).referable;
  // Referable: 6 images, 5 called referable; not referable: 6, 5 called not referable.
  assert.is(r.sensitivity, 5 / 6);
  close(r.sensitivityCI, wilsonInterval(5, 6)!, 0, 'sensitivity');
  close(r.specificityCI, wilsonInterval(5, 6)!, 0, 'specificity');
  close(r.aucCI, delongAucInterval(grades.map((g) => g >= 2), probabilities.map((p) => p[2]! + p[3]! + p[4]!))!, 0, 'AUC');
  assert.ok(r.aucCI![0] <= r.auc! && r.auc! <= r.aucCI![1]);
  const none = drMetrics([0, 1], [0, 0], [[1, 0, 0, 0, 0], [1, 0, 0, 0, 0]], 5).referable;
  assert.equal([none.sensitivityCI, none.aucCI], [null, null]);
});

test.run();
