import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, formatFoldsCsv, parseFoldsCsv, readDataset, runCli, splitFold, stratifiedGroupKFold, type Grade } from 'drgrade';
import { captureContext, sampleRoot, tempDir } from './helpers.ts';

/** 300 patients with one or two eyes, imbalanced grades, eyes of a patient correlated. */
function cohort(seed: number): { id: string; grade: Grade; group: string }[] {
  const rng = new Rng(seed);
  const items: { id: string; grade: Grade; group: string }[] = [];
  for (let p = 0; p < 300; p++) {
    const g = rng.weighted([0.5, 0.1, 0.2, 0.12, 0.08]) as Grade;
    items.push({ id: `P${p}_L`, grade: g, group: `P${p}` });
    if (rng.chance(0.8)) items.push({ id: `P${p}_R`, grade: rng.chance(0.7) ? g : (rng.int(5) as Grade), group: `P${p}` });
  }
  return items;
}

test('both eyes of a patient are always in one fold; every image gets a fold', () => {
  const items = cohort(1);
  const folds = stratifiedGroupKFold(items, 5, 42);
  assert.is(folds.size, items.length);
  const foldOfGroup = new Map<string, number>();
  for (const item of items) {
    const f = folds.get(item.id) as number;
    assert.ok(f >= 0 && f < 5);
    const seen = foldOfGroup.get(item.group);
    if (seen !== undefined) assert.is(f, seen, `${item.group} is split`);
    foldOfGroup.set(item.group, f);
  }
});

test('grades are stratified: every fold holds 20 % ± 5 points of each grade', () => {
  const items = cohort(2);
  const folds = stratifiedGroupKFold(items, 5, 7);
  for (const grade of [0, 1, 2, 3, 4]) {
    const total = items.filter((i) => i.grade === grade).length;
    for (let f = 0; f < 5; f++) {
      const inFold = items.filter((i) => i.grade === grade && folds.get(i.id) === f).length;
      assert.ok(Math.abs(inFold / total - 0.2) <= 0.05, `grade ${grade}, fold ${f}: ${inFold}/${total}`);
    }
  }
  const sizes = [0, 1, 2, 3, 4].map((f) => splitFold(items, folds, f).validation.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 0.06 * items.length, `fold sizes ${sizes}`);
});

test('seeded: same seed same folds, another seed other folds', () => {
  const items = cohort(3);
  assert.equal([...stratifiedGroupKFold(items, 5, 1)], [...stratifiedGroupKFold(items, 5, 1)]);
  assert.not.equal([...stratifiedGroupKFold(items, 5, 1)], [...stratifiedGroupKFold(items, 5, 2)]);
});

test('the real sample: 6 patients in 3 folds, pairs together', () => {
  const { items } = readDataset(sampleRoot());
  const folds = stratifiedGroupKFold(items, 3, 0);
  assert.is(folds.get('Patient146_L'), folds.get('Patient146_R'));
  assert.is(new Set(folds.values()).size, 3);
  assert.throws(() => stratifiedGroupKFold(items, 7, 0), /cannot make 7 folds from 6 patients/);
  assert.throws(() => stratifiedGroupKFold(items, 1, 0), /integer >= 2/);
});

test('fold files: written and read back identically; problems of a foreign file are listed', () => {
  const items = cohort(4);
  const folds = stratifiedGroupKFold(items, 5, 3);
  const text = formatFoldsCsv(folds);
  assert.ok(text.startsWith('id,fold\n'));
  const back = parseFoldsCsv(text, items);
  assert.equal(back.problems, []);
  assert.equal([...back.folds], [...folds]);

  const few = items.slice(0, 4);
  const foreign = `id,fold\r\n${few[0]?.id},0\n${few[1]?.id},x\n${few[0]?.id},1\nnobody,1\n${few[2]?.id},2\n`;
  const { problems } = parseFoldsCsv(foreign, few, 'other-tool.csv');
  const lines = problems.map((p) => `${p.severity}:${p.line ?? '-'}:${p.message}`);
  assert.ok(lines.some((l) => /^error:3:.*fold "x"/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /^error:4:.*listed more than once/.test(l)));
  assert.ok(lines.some((l) => /^warning:5:nobody is not in the data set/.test(l)));
  assert.ok(lines.some((l) => /^error:-:folds must be numbered 0..k-1 without gaps, found 0, 2/.test(l)));
  assert.ok(lines.some((l) => /^error:-:2 image\(s\) of the data set have no fold/.test(l)));
  const split = parseFoldsCsv('id,fold\nA_L,0\nA_R,1\n', [{ id: 'A_L', grade: 0, group: 'A' }, { id: 'A_R', grade: 0, group: 'A' }]);
  assert.match(split.problems[0]?.message ?? '', /1 patient\(s\) have images in more than one fold/);
});

test('drgrade data folds writes the assignment and checks a foreign file', async () => {
  const file = join(tempDir(), 'folds.csv');
  let ctx = captureContext();
  assert.is(await runCli(['data', 'folds', sampleRoot(), '--k', '3', '--seed', '5', '--out', file], ctx), 0, ctx.stderr.text);
  assert.match(ctx.stdout.text, /fold  images  patients  grades 0\/1\/2\/3\/4\n/);
  const written = parseFoldsCsv(readFileSync(file, 'utf8'), readDataset(sampleRoot()).items);
  assert.equal(written.problems, []);
  assert.equal([...written.folds], [...stratifiedGroupKFold(readDataset(sampleRoot()).items, 3, 5)]);
  ctx = captureContext();
  assert.is(await runCli(['data', 'folds', sampleRoot(), '--check', file], ctx), 0);
  writeFileSync(file, 'id,fold\nPatient146_L,0\n');
  ctx = captureContext();
  assert.is(await runCli(['data', 'folds', sampleRoot(), '--check', file], ctx), 1);
  assert.match(ctx.stdout.text, /10 image\(s\) of the data set have no fold/);
  ctx = captureContext();
  assert.is(await runCli(['data', 'folds', sampleRoot()], ctx), 1);
  assert.match(ctx.stderr.text, /give either --out/);
});

test.run();
