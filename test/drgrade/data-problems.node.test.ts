// Each kind of bad user data is reported precisely (file, line) and never crashes.
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkImages, readDataset, runCli, type DataProblem } from 'drgrade';
import { SAMPLE_IMAGES, captureContext, put, sampleRoot, tempDir, tinyImage } from './helpers.ts';

const TRAIN = 'B. Disease Grading/1. Original Images/a. Training Set';
const CSV = 'B. Disease Grading/2. Groundtruths/a. IDRiD_Disease Grading_Training Labels.csv';

/** An IDRiD folder with one of each problem; returns its root. */
function badIdrid(): string {
  const root = tempDir();
  const jpeg = readFileSync(join(sampleRoot(), SAMPLE_IMAGES, 'Patient296_L.jpg'));
  for (const n of [1, 2, 3, 4, 5, 6]) put(root, `${TRAIN}/IDRiD_00${n}.jpg`, tinyImage(n, 'jpg'));
  put(root, `${TRAIN}/IDRiD_007.jpg`, new TextEncoder().encode('this is not a JPEG'));
  put(root, `${TRAIN}/IDRiD_008.jpg`, jpeg.subarray(0, 20000));
  put(root, `${TRAIN}/IDRiD_009.jpg`, tinyImage(9, 'jpg'));
  put(root, `${TRAIN}/IDRiD_009.png`, tinyImage(9));
  put(root, `${TRAIN}/IDRiD_010.jpg`, tinyImage(10, 'jpg'));
  put(root, CSV, [
    'Image name,Retinopathy grade,Risk of macular edema ',
    'IDRiD_001,0,0', // line 2: fine
    'IDRiD_002,7,0', // line 3: grade out of range
    'IDRiD_003,,0', // line 4: empty grade
    'IDRiD_004,2,0', // line 5
    'IDRiD_004,3,0', // line 6: duplicate of line 5
    'IDRiD_099,1,0', // line 7: no such file
    'IDRiD_007,1,0', // line 8: corrupt file
    'IDRiD_008,2,1', // line 9: truncated file
    'IDRiD_009,2,1', // line 10: two files match
    '../../../../etc/passwd,1,0', // line 11: escapes the root
    'IDRiD_005,two,0', // line 12: not a number
    'IDRiD_006,1.0,0', // line 13: 1.0 is accepted (pandas export)
  ].join('\n'));
  // IDRiD_010.jpg has no row: a warning.
  return root;
}

function find(problems: DataProblem[], kind: string, line?: number): DataProblem {
  const hit = problems.find((p) => p.kind === kind && (line === undefined || p.line === line));
  assert.ok(hit, `expected a ${kind} problem${line ? ` on line ${line}` : ''} in ${JSON.stringify(problems, null, 1)}`);
  return hit as DataProblem;
}

test('label problems: grade, duplicate, missing, ambiguous, outside root — each with file and line', () => {
  const dataset = readDataset(badIdrid());
  const p = dataset.problems;
  assert.match(find(p, 'bad-grade', 3).message, /IDRiD_002: grade "7" is not one of 0, 1, 2, 3, 4/);
  assert.match(find(p, 'bad-grade', 4).message, /empty/);
  assert.match(find(p, 'bad-grade', 12).message, /"two"/);
  assert.match(find(p, 'duplicate', 6).message, /IDRiD_004 is listed more than once \(first at .*:5\)/);
  assert.match(find(p, 'missing-file', 7).message, /IDRiD_099/);
  assert.match(find(p, 'duplicate', 10).message, /IDRiD_009.jpg, IDRiD_009.png/);
  assert.match(find(p, 'outside-root', 11).message, /outside the data-set folder/);
  const unlabelled = find(p, 'unlabelled-image');
  assert.is(unlabelled.file, `${TRAIN}/IDRiD_010.jpg`);
  assert.is(unlabelled.severity, 'warning');
  for (const problem of p.filter((q) => q.line !== undefined)) assert.is(problem.file, CSV);
  // What remains usable: 001, 006 and the two damaged files (found by the image check below).
  assert.equal(dataset.items.map((i) => i.id).sort(), ['IDRiD_001', 'IDRiD_006', 'IDRiD_007', 'IDRiD_008']);
});

test('image problems: corrupt and truncated files found without decoding', async () => {
  const dataset = readDataset(badIdrid());
  const checked = await checkImages(dataset);
  assert.equal(checked.items.map((i) => i.id).sort(), ['IDRiD_001', 'IDRiD_006']);
  assert.equal(checked.sizes, [{ width: 12, height: 12 }, { width: 12, height: 12 }]);
  assert.is(find(checked.problems, 'corrupt-image').file, `${TRAIN}/IDRiD_007.jpg`);
  assert.is(find(checked.problems, 'truncated-image').file, `${TRAIN}/IDRiD_008.jpg`);
});

test('generic CSV: absolute paths and symbolic links out of the root are refused', () => {
  const root = tempDir();
  const outside = tempDir();
  put(outside, 'secret.png', tinyImage(1));
  put(root, 'ok.png', tinyImage(2));
  symlinkSync(join(outside, 'secret.png'), join(root, 'link.png'));
  put(root, 'labels.csv', `path,grade\nok.png,1\n${join(outside, 'secret.png')}\t,2\nlink.png,3\nsub/../ok.png,1\n`);
  const dataset = readDataset(root);
  const outsideLines = dataset.problems.filter((p) => p.kind === 'outside-root').map((p) => p.line);
  assert.equal(outsideLines, [3, 4]);
  assert.match(find(dataset.problems, 'outside-root', 4).message, /link to a file outside/);
  assert.match(find(dataset.problems, 'duplicate', 5).message, /name the same file/);
  assert.equal(dataset.items.map((i) => i.id), [], 'ok.png is listed twice (as ok.png and sub/../ok.png): both left out');
});

test('a label file without the required columns names what it has', () => {
  const root = tempDir();
  put(root, `${TRAIN}/IDRiD_001.jpg`, tinyImage(1, 'jpg'));
  put(root, CSV, 'Image,Grade of retinopathy\nIDRiD_001,1\n');
  const problem = find(readDataset(root).problems, 'missing-column');
  assert.is(problem.line, 1);
  assert.match(problem.message, /missing column "Retinopathy grade"; the header is: Image, Grade of retinopathy/);
});

test('CLI: every problem listed, exit 1, no stack trace; --skip-bad exits 0; --json is complete', async () => {
  const root = badIdrid();
  let ctx = captureContext();
  // --headers-only: the fixture's 12 px images are too small to grade; this test is about label and file problems.
  assert.is(await runCli(['data', 'inspect', root, '--headers-only'], ctx), 1);
  const text = ctx.stdout.text;
  for (const needle of [`${CSV}:3: error: IDRiD_002: grade "7"`, `${CSV}:6: error`, `${CSV}:7: error`, `${CSV}:11: error`, `${TRAIN}/IDRiD_007.jpg: error`, `${TRAIN}/IDRiD_008.jpg: error`, `${TRAIN}/IDRiD_010.jpg: warning`]) {
    assert.ok(text.includes(needle), `missing "${needle}" in:\n${text}`);
  }
  assert.match(text, /9 error\(s\), 1 warning\(s\)/);
  assert.not.match(text + ctx.stderr.text, /\n\s+at /);

  ctx = captureContext();
  assert.is(await runCli(['data', 'inspect', root, '--skip-bad', '--headers-only'], ctx), 0);
  assert.match(ctx.stdout.text, /images: 2 /);
  assert.match(ctx.stdout.text, /--skip-bad: the entries with errors above are left out; 2 image\(s\) usable/);

  ctx = captureContext();
  assert.is(await runCli(['data', 'inspect', root, '--json', '--headers-only'], ctx), 1);
  const report = JSON.parse(ctx.stdout.text) as { images: number; problems: DataProblem[]; ok: boolean };
  assert.is(report.problems.length, 10);
  assert.is(report.ok, false);
});

test.run();
