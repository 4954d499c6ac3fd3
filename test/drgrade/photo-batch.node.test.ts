// predict and gradcam on many photographs: files and folders (a folder's JPEG and PNG files,
// sorted), --skip-bad (a bad photograph is one line and the others are graded), predict --csv,
// gradcam --out <folder>, the exit statuses their help documents. Every grade is compared with
// the same photograph graded alone, so a batch must not change what a photograph gets.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { getDevice } from '@drgrade/tensor';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createImage, decodeImage, encodePng, parseCsv, runCli } from 'drgrade';
import { SAMPLE_IMAGES, captureContext, put, repoRoot, sampleRoot, tempDir } from './helpers.ts';

const MODEL = join(repoRoot(), 'test', 'fixtures', 'models', 'tiny-synthetic.safetensors');
const PHOTOS = join(sampleRoot(), SAMPLE_IMAGES);
// The sample's photographs in byte order of their names, as `LC_ALL=C ls` lists them.
const SAMPLE_NAMES = [
  'Patient146_L.jpg', 'Patient146_R.jpg', 'Patient276_L.jpg', 'Patient293_L.jpg', 'Patient293_R.jpg', 'Patient295_L.jpg',
  'Patient295_R.jpg', 'Patient296_L.jpg', 'Patient296_R.jpg', 'Patient300_L.jpg', 'Patient300_R.jpg',
];

interface Row { image: string; grade: number | null; gradeName: string; probabilities: number[] | null; referable: number | null; reason?: string }

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const ctx = captureContext();
  const code = await runCli(argv, ctx);
  return { code, out: ctx.stdout.text, err: ctx.stderr.text };
}

async function predictJson(...argv: string[]): Promise<{ code: number; rows: Row[]; err: string }> {
  const r = await cli('predict', '--checkpoint', MODEL, '--json', ...argv);
  return { code: r.code, rows: r.code === 1 ? [] : JSON.parse(r.out) as Row[], err: r.err };
}

const alone = new Map<string, Row>();
/** The photograph graded by itself (cached: the sample is read-only). */
async function gradedAlone(path: string): Promise<Row> {
  if (!alone.has(path)) {
    const r = await predictJson(path);
    assert.is(r.code, 0, r.err);
    alone.set(path, r.rows[0]!);
  }
  return alone.get(path)!;
}

/** A folder with two good photographs, a truncated JPEG, an empty PNG, a black PNG and a text file. */
function mixedFolder(): string {
  const dir = tempDir('drgrade-batch-');
  copyFileSync(join(PHOTOS, 'Patient146_L.jpg'), join(dir, 'a-good.jpg'));
  put(dir, 'b-truncated.jpg', readFileSync(join(PHOTOS, 'Patient146_R.jpg')).subarray(0, 4000));
  put(dir, 'c-black.png', encodePng(createImage(200, 200, 0)));
  put(dir, 'd-empty.png', new Uint8Array());
  copyFileSync(join(PHOTOS, 'Patient296_R.jpg'), join(dir, 'e-good.JPG'));
  put(dir, 'notes.txt', 'not a photograph');
  return dir;
}

test('predict <folder>: every photograph in name order, each graded as it is alone', async () => {
  const r = await predictJson(PHOTOS);
  assert.is(r.code, 0, r.err);
  assert.equal(r.rows.map((row) => row.image), SAMPLE_NAMES.map((n) => join(PHOTOS, n)));
  for (const row of r.rows.slice(0, 3)) {
    const single = await gradedAlone(row.image);
    assert.is(row.grade, single.grade, row.image);
    assert.equal(row.probabilities, single.probabilities, row.image);
    assert.ok(Math.abs(row.probabilities!.reduce((a, b) => a + b, 0) - 1) < 1e-5, 'probabilities sum to 1');
    const [, , p2, p3, p4] = row.probabilities!;
    assert.ok(Math.abs(row.referable! - (p2! + p3! + p4!)) < 1e-12, `referable ${row.referable} is P(grade ≥ 2) = p2 + p3 + p4`);
  }
  assert.match((await cli('predict', '--checkpoint', MODEL, join(PHOTOS, 'Patient146_L.jpg'))).out,
    /Patient146_L\.jpg: grade [0-4] \([^)]+\); probabilities( 0\.\d{4}){5}; referable DR \(grade ≥ 2\) 0\.\d{4}\n/);
});

test('predict: files and folders mixed, in argument order', async () => {
  const one = join(PHOTOS, 'Patient300_R.jpg');
  const folder = mixedFolder();
  const r = await predictJson(one, folder, '--skip-bad');
  assert.equal(r.rows.map((row) => row.image), [one, ...['a-good.jpg', 'b-truncated.jpg', 'c-black.png', 'd-empty.png', 'e-good.JPG'].map((n) => join(folder, n))],
    'the text file is not a photograph; upper-case extensions are');
});

test('a bad photograph stops predict without --skip-bad: one line naming it, exit status 1', async () => {
  const folder = mixedFolder();
  const r = await cli('predict', '--checkpoint', MODEL, folder);
  assert.is(r.code, 1);
  assert.match(r.out, /a-good\.jpg: grade [0-4]/, 'photographs before it were graded and printed');
  assert.not.match(r.out, /e-good/);
  const lines = r.err.trim().split('\n').filter((l) => !l.includes('compiling'));
  assert.equal(lines, [`drgrade predict: ${join(folder, 'b-truncated.jpg')}: JPEG is truncated (no end-of-image marker) (--skip-bad goes on with the other photographs)`]);
});

test('predict --skip-bad: one line per bad photograph, the others graded as alone, exit status 3', async () => {
  const folder = mixedFolder();
  const missing = join(folder, 'no-such.jpg');
  const r = await predictJson(folder, missing, '--skip-bad');
  assert.is(r.code, 3, r.err);
  const skipped = r.err.split('\n').filter((l) => l.endsWith('; skipped'));
  assert.equal(skipped, [
    `drgrade predict: ${join(folder, 'b-truncated.jpg')}: JPEG is truncated (no end-of-image marker); skipped`,
    `drgrade predict: ${join(folder, 'd-empty.png')}: the file is empty; skipped`,
    `drgrade predict: ${missing}: no such file or folder; skipped`,
  ]);
  assert.not.ok(r.err.includes('    at '), 'no stack trace');
  const byName = new Map(r.rows.map((row) => [row.image.slice(folder.length + 1), row]));
  assert.equal(byName.get('a-good.jpg')!.probabilities, (await gradedAlone(join(PHOTOS, 'Patient146_L.jpg'))).probabilities);
  assert.equal(byName.get('e-good.JPG')!.probabilities, (await gradedAlone(join(PHOTOS, 'Patient296_R.jpg'))).probabilities);
  assert.is(byName.get('c-black.png')!.gradeName, 'ungradable');
  assert.match(byName.get('c-black.png')!.reason!, /no fundus found/);
  assert.equal(byName.get('b-truncated.jpg'), { image: join(folder, 'b-truncated.jpg'), model: MODEL, grade: null, gradeName: 'unreadable', reason: 'JPEG is truncated (no end-of-image marker)', probabilities: null, referable: null } as Row);
});

test('predict with only good photographs exits 0; a folder without photographs is a bad input', async () => {
  const dir = tempDir('drgrade-batch-');
  copyFileSync(join(PHOTOS, 'Patient146_L.jpg'), join(dir, 'one.jpg'));
  put(dir, 'empty-folder/readme.txt', 'nothing');
  assert.is((await cli('predict', '--checkpoint', MODEL, join(dir, 'one.jpg'))).code, 0);
  const r = await cli('predict', '--checkpoint', MODEL, join(dir, 'empty-folder'));
  assert.is(r.code, 1);
  assert.match(r.err, /empty-folder: a folder with no JPEG or PNG files in it\n$/);
});

test('predict --csv: a row per photograph with the grade, its name, p0..p4 and P(grade ≥ 2) in full and why a photograph has none', async () => {
  const folder = mixedFolder();
  const csv = join(tempDir('drgrade-batch-'), 'out', 'grades.csv');
  const r = await predictJson(folder, '--skip-bad', '--csv', csv);
  assert.is(r.code, 3, r.err);
  const text = readFileSync(csv, 'utf8');
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  assert.ok(text.includes('"ungradable: no fundus found,'), 'a reason with commas is quoted');
  const { table, errors } = parseCsv(text);
  assert.equal(errors, []);
  assert.equal(table.header, ['image', 'grade', 'grade_name', 'p0', 'p1', 'p2', 'p3', 'p4', 'p_referable', 'reason']);
  assert.is(table.rows.length, r.rows.length);
  table.rows.forEach(({ cells }, i) => {
    const row = r.rows[i]!;
    assert.is(cells.length, 10, cells.join('|'));
    assert.is(cells[0], row.image);
    if (row.grade === null) {
      assert.equal(cells.slice(1, 9), ['', row.gradeName, '', '', '', '', '', ''], row.image);
      assert.is(cells[9], row.reason);
    } else {
      assert.equal([Number(cells[1]), cells[2]], [row.grade, row.gradeName], row.image);
      assert.equal(cells.slice(3, 8).map(Number), row.probabilities, 'probabilities in full');
      assert.is(Number(cells[8]), row.referable, 'P(grade ≥ 2) in full');
      assert.ok(Math.abs(Number(cells[8]) - cells.slice(5, 8).reduce((s, c) => s + Number(c), 0)) < 1e-12, 'p_referable = p2 + p3 + p4');
      assert.is(cells[9], '');
    }
  });
  const folderOut = await cli('predict', '--checkpoint', MODEL, folder, '--csv', tempDir());
  assert.is(folderOut.code, 1);
  assert.match(folderOut.err, /--csv .*: is a folder; give the name of the table to write/);
});

test('predict and gradcam --help document the inputs, --skip-bad and the exit statuses', async () => {
  for (const command of ['predict', 'gradcam']) {
    const r = await cli(command, '--help');
    assert.match(r.out, new RegExp(`Usage: drgrade ${command} <image>\\.\\.\\. \\[options\\]`));
    assert.match(r.out, /a folder stands for the JPEG and PNG files directly inside it/);
    assert.match(r.out, /--skip-bad/);
    assert.match(r.out, /Exit status: 0 when every .*; 3 when some .*; 1 when an error stopped the command; 2 for a usage error/);
  }
});

test('gradcam <folder> --out <folder>: one picture per photograph, bad ones skipped with --skip-bad', async () => {
  const folder = mixedFolder();
  const out = join(tempDir('drgrade-batch-'), 'cams');
  const r = await cli('gradcam', '--checkpoint', MODEL, folder, '--out', out, '--skip-bad');
  assert.is(r.code, 3, r.err);
  assert.equal(r.err.split('\n').filter((l) => l.endsWith('; skipped')).length, 2, r.err);
  assert.equal(readdirSync(out).sort(), ['a-good-gradcam.png', 'e-good-gradcam.png'], 'nothing drawn for the black photograph');
  for (const [name, photo] of [['a-good-gradcam.png', 'Patient146_L.jpg'], ['e-good-gradcam.png', 'Patient296_R.jpg']] as const) {
    const picture = decodeImage(readFileSync(join(out, name)));
    const original = decodeImage(readFileSync(join(PHOTOS, photo)));
    assert.is(picture.width, original.width, name);
    assert.ok(picture.height > original.height, `${name}: the colour bar below`);
    assert.match(r.out, new RegExp(`${join(out, name).replace(/[.]/g, '\\.')}: Grad-CAM of .* over the photograph \\(${original.width} x ${original.height}\\)`));
  }
  const jpg = await cli('gradcam', '--checkpoint', MODEL, join(PHOTOS, 'Patient146_L.jpg'), '--out', out, '--image-format', 'jpg');
  assert.is(jpg.code, 0, jpg.err);
  assert.ok(existsSync(join(out, 'Patient146_L-gradcam.jpg')));
});

test('gradcam: an ungradable photograph gets one line with the reason and no picture; the others are drawn; exit status 3', async () => {
  const dir = tempDir('drgrade-batch-');
  put(dir, 'photos/a-black.png', encodePng(createImage(300, 200, 0)));
  put(dir, 'photos/b-blank.png', encodePng(createImage(300, 200, [128, 64, 32])));
  copyFileSync(join(PHOTOS, 'Patient146_L.jpg'), join(dir, 'photos', 'c-good.jpg'));
  const folder = join(dir, 'photos');
  const r = await cli('gradcam', '--checkpoint', MODEL, folder, '--out', join(dir, 'cams'));
  assert.is(r.code, 3, r.err);
  const lines = r.out.split('\n');
  assert.equal(lines.filter((l) => l.includes('ungradable')), [
    `${join(folder, 'a-black.png')}: ungradable: no fundus found, only 0.0% of the frame is lit (at least 15.0%); the photograph is black or far too dark; no picture written`,
    `${join(folder, 'b-blank.png')}: ungradable: the photograph is blank (brightness varies by 0.0 levels, at least 4); no picture written`,
  ]);
  assert.equal(readdirSync(join(dir, 'cams')), ['c-good-gradcam.png'], 'the good photograph is still drawn');
  assert.is(r.err.includes('    at '), false, 'no stack trace');
  const alone = await cli('gradcam', '--checkpoint', MODEL, join(folder, 'a-black.png'), '--out', join(dir, 'black.png'));
  assert.is(alone.code, 3, alone.err);
  assert.match(alone.out, /a-black\.png: ungradable: no fundus found/);
  assert.not.ok(existsSync(join(dir, 'black.png')), 'no heat map of a black frame');
});

test('gradcam: --out file.png still takes one photograph; several need a folder; clashing names are refused', async () => {
  const dir = tempDir('drgrade-batch-');
  const single = await cli('gradcam', '--checkpoint', MODEL, join(PHOTOS, 'Patient146_L.jpg'), '--out', join(dir, 'cam.png'));
  assert.is(single.code, 0, single.err);
  assert.is(decodeImage(readFileSync(join(dir, 'cam.png'))).width, 768);
  const many = await cli('gradcam', '--checkpoint', MODEL, PHOTOS, '--out', join(dir, 'cam.png'));
  assert.is(many.code, 2);
  assert.match(many.err, /--out .*cam\.png names one picture, but 11 photographs were given; give a folder/);
  put(dir, 'x/p.png', encodePng(createImage(8, 8, 0)));
  writeFileSync(join(dir, 'p.png'), encodePng(createImage(8, 8, 0)));
  const clash = await cli('gradcam', '--checkpoint', MODEL, join(dir, 'p.png'), join(dir, 'x'), '--out', join(dir, 'cams'));
  assert.is(clash.code, 1);
  assert.match(clash.err, /p\.png and .*x\/p\.png would both be drawn to .*cams\/p-gradcam\.png/);
  assert.not.ok(existsSync(join(dir, 'cams')), 'refused before any work');
});

test('on a CPU adapter the first photograph\'s wait is explained once on stderr', async () => {
  const r = await cli('predict', '--checkpoint', MODEL, join(PHOTOS, 'Patient146_L.jpg'), join(PHOTOS, 'Patient146_R.jpg'));
  assert.is(r.code, 0, r.err);
  const notes = r.err.split('\n').filter((l) => l.includes('compiling'));
  const { info } = await getDevice();
  if (info.kind === 'cpu') assert.equal(notes, [`drgrade predict: compiling the network's kernels for the CPU adapter ${info.family} (a few seconds, before the first photograph only)`]);
  else assert.equal(notes, []);
});

test('a fresh install\'s first predict (no autotune decisions yet, tuning on) ends within 30 s', async () => {
  // The executable as scripts/build.mjs bundles it, run as a user runs it.
  const root = repoRoot();
  const cliFile = join(root, 'build', 'test', 'photo-batch-cli.mjs');
  mkdirSync(join(root, 'build', 'test'), { recursive: true });
  buildSync({ entryPoints: [join(root, 'packages/drgrade/src/cli/main.ts')], bundle: true, platform: 'node', format: 'esm', outfile: cliFile,
    external: ['webgpu', 'pngjs', 'jpeg-js'], loader: { '.wgsl': 'text' }, tsconfig: join(root, 'tsconfig.json'), logLevel: 'error' });
  const cache = tempDir('drgrade-fresh-cache-');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cliFile, 'predict', '--checkpoint', MODEL, join(PHOTOS, 'Patient146_L.jpg'), join(PHOTOS, 'Patient146_R.jpg')], {
    cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, DRGRADE_AUTOTUNE: '1', DRGRADE_CACHE_DIR: cache },
  });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`  first predict of two photographs, empty autotune cache: ${seconds.toFixed(1)} s`);
  assert.is(r.status, 0, r.stderr);
  assert.ok(seconds < 30, `${seconds.toFixed(1)} s`);
  assert.equal(readdirSync(cache), [], 'no autotune decision file was written');
  assert.match(r.stdout, /Patient146_R\.jpg: grade [0-4]/);
});

test.run();
