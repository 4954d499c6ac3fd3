// The drgrade command line: help, usage errors, preprocess (threads, resume, atomic writes).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeImage, preprocessFundus, readDataset, runCli } from 'drgrade';
import { givenBooleanOption, parseArgs } from '../../packages/drgrade/src/cli/args.ts';
import { Progress } from '../../packages/drgrade/src/util/progress.ts';
import { SAMPLE_IMAGES, buildWorkers, captureContext, put, repoRoot, sampleRoot, tempDir, tinyImage } from './helpers.ts';

process.env.DRGRADE_WORKER_DIR = buildWorkers();
const OUT_IMAGES = 'B. Disease Grading/1. Original Images/a. Training Set';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const ctx = captureContext();
  const code = await runCli(argv, ctx);
  return { code, out: ctx.stdout.text, err: ctx.stderr.text };
}

test('help: global, per group, per command', async () => {
  let r = await cli('--help');
  assert.is(r.code, 0);
  for (const name of ['data inspect', 'preprocess', 'synth']) assert.ok(r.out.includes(name), name);
  assert.match(r.out, /set DRGRADE_DEBUG=1 to add its stack trace/);
  assert.match(r.out, /Exit status: 0 success, 1 an error, 2 a usage error; predict and gradcam: 3 when/);
  assert.is((await cli()).code, 2, 'no command: help and a usage status');
  r = await cli('data');
  assert.is(r.code, 2);
  assert.match(r.out, /drgrade data <command>/);
  r = await cli('preprocess', '--help');
  assert.is(r.code, 0);
  assert.match(r.out, /Usage: drgrade preprocess <root> \[options\]/);
  assert.match(r.out, /--image-format <png\|jpg>/);
  assert.match(r.out, /--sigma <σ\|radius\|none>.*\(default 10\)/);
});

test('usage errors are one line with a hint, status 2, never a stack trace', async () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['data', 'inpsect', '.'], /unknown command "data inpsect" \(did you mean data inspect\?\)/],
    [['data', 'inspect', '.', '--fromat', 'idrid'], /unknown option --fromat \(did you mean --format\?\)/],
    [['data', 'inspect', '.', '--format', 'kaggle'], /--format must be one of auto, idrid, deepdrid, aptos, eyepacs, messidor2, csv, folders; got "kaggle"/],
    [['data', 'inspect'], /missing <root>/],
    [['preprocess', sampleRoot()], /--out is required/],
    [['preprocess', sampleRoot(), '--out', '/tmp/x', '--size', 'big'], /--size needs a number, got "big"/],
    [['synth', '--n', '2.5', '--out', '/tmp/x'], /--n needs a whole number/],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(...argv);
    assert.is(r.code, 2, argv.join(' '));
    assert.match(r.err, message);
    assert.not.match(r.err, /\n\s+at /);
  }
  const missing = await cli('data', 'inspect', '/no/such/folder');
  assert.is(missing.code, 1);
  assert.is(missing.err, 'drgrade data inspect: data set folder not found: /no/such/folder\n');
});

test('preprocess the real photographs on worker threads: same layout, labels, exact pixels', async () => {
  const out = join(tempDir(), 'pre');
  const t = performance.now();
  const r = await cli('preprocess', sampleRoot(), '--out', out, '--size', '128', '--sigma', '3', '--workers', '2');
  const seconds = (performance.now() - t) / 1000;
  assert.is(r.code, 0, r.err);
  console.log(`\n  preprocess of the 11 sample photographs (768x514 → 128, 2 threads): ${seconds.toFixed(2)} s`);
  assert.match(r.out, /wrote 11 image\(s\)/);
  const copy = readDataset(out);
  assert.is(copy.format, 'idrid');
  assert.equal(copy.problems, []);
  assert.equal(copy.items.map((i) => [i.id, i.grade, i.group]), readDataset(sampleRoot()).items.map((i) => [i.id, i.grade, i.group]));
  const written = decodeImage(readFileSync(join(out, OUT_IMAGES, 'Patient300_R.png')));
  const expected = preprocessFundus(decodeImage(readFileSync(join(sampleRoot(), SAMPLE_IMAGES, 'Patient300_R.jpg'))), { size: 128, sigma: 3 });
  assert.equal(written, expected);
});

test('preprocess is resumable and refuses to mix settings', async () => {
  const out = join(tempDir(), 'pre');
  assert.is((await cli('preprocess', sampleRoot(), '--out', out, '--size', '64', '--workers', '0', '--image-format', 'jpg')).code, 0);
  const victim = join(out, OUT_IMAGES, 'Patient146_L.jpg');
  rmSync(victim);
  // A leftover temporary file of an interrupted run is not mistaken for a finished image.
  writeFileSync(`${victim}.1234-0.partial`, 'half');
  let r = await cli('preprocess', sampleRoot(), '--out', out, '--size', '64', '--workers', '0', '--image-format', 'jpg');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /wrote 1 image\(s\) .*; 10 already done/);
  assert.ok(existsSync(victim));
  assert.is(readDataset(out).items.length, 11);
  r = await cli('preprocess', sampleRoot(), '--out', out, '--size', '96', '--workers', '0');
  assert.is(r.code, 1);
  assert.match(r.err, /was made with other settings .* use the same settings to resume, or another --out/);
  r = await cli('preprocess', sampleRoot(), '--out', join(sampleRoot(), 'inside'), '--workers', '0');
  assert.is(r.code, 1);
  assert.match(r.err, /must be outside the data-set folder/);
});

test('preprocess reports undecodable images; --skip-bad finishes the rest', async () => {
  const root = tempDir();
  put(root, 'a.png', tinyImage(1, 'png', 40));
  const jpeg = readFileSync(join(sampleRoot(), SAMPLE_IMAGES, 'Patient295_L.jpg'));
  const damaged = new Uint8Array(jpeg);
  damaged.fill(0xff, 3000, 3200);
  put(root, 'b.jpg', damaged);
  put(root, 'labels.csv', 'path,grade\na.png,0\nb.jpg,2\nc.png,9\n');
  let r = await cli('preprocess', root, '--out', join(tempDir(), 'o'), '--size', '32', '--workers', '1');
  assert.is(r.code, 1);
  assert.match(r.err, /labels\.csv:4: error: c: grade "9"/);
  const out = join(tempDir(), 'o');
  r = await cli('preprocess', root, '--out', out, '--size', '32', '--workers', '1', '--skip-bad');
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /b\.jpg: error: JPEG data is damaged/);
  assert.ok(existsSync(join(out, 'a.png')));
  assert.not.ok(existsSync(join(out, 'b.png')));
  assert.equal(readdirSync(out).filter((f) => f.includes('.partial')), []);
});

test('argument parser: --name=value, --no-flag, defaults, --, negative numbers', () => {
  const options = [
    { name: 'size', type: 'integer' as const, default: 512, description: '' },
    { name: 'sigma', type: 'number' as const, description: '' },
    { name: 'mask', type: 'boolean' as const, description: '' },
    { name: 'name', type: 'string' as const, description: '' },
  ];
  const parsed = parseArgs(['root', '--sigma=-1.5', '--no-mask', '--name', 'x y', '--', '--odd'], [{ name: 'a', description: '' }, { name: 'b', description: '' }], options);
  assert.equal(parsed.positionals, { a: 'root', b: '--odd' });
  assert.equal(parsed.options, { sigma: -1.5, mask: false, name: 'x y', size: 512 });
  assert.throws(() => parseArgs(['--mask=maybe'], [], options), /--mask is true or false/);
  assert.throws(() => parseArgs(['--name'], [], options), /--name needs a value/);
  assert.throws(() => parseArgs(['-x'], [], options), /unknown option -x/);
  assert.throws(() => parseArgs(['a', 'b'], [{ name: 'a', description: '' }], options), /unexpected argument "b"/);
  // A flag left out is undefined (the model file's default applies), unlike --no-flag.
  assert.is(givenBooleanOption(parsed, 'mask'), false);
  assert.is(givenBooleanOption(parseArgs(['--mask'], [], options), 'mask'), true);
  assert.is(givenBooleanOption(parseArgs([], [], options), 'mask'), undefined);
});

test('progress bar: rate and ETA on a terminal, a few lines in a log', () => {
  const tty = { text: '', isTTY: true, write(s: string) { this.text += s; return true; } };
  const bar = new Progress(tty, 4, 'work');
  for (let i = 0; i < 4; i++) bar.tick();
  bar.finish();
  assert.match(tty.text, /\rwork \[#{24}\] 4\/4 100% [\d.]+\/s ETA 00:00/);
  const log = { text: '', isTTY: false, write(s: string) { this.text += s; return true; } };
  const quiet = new Progress(log, 1000, 'work', 500);
  for (let i = 0; i < 500; i++) quiet.tick();
  assert.is(log.text.split('\n').filter(Boolean).length, 1, 'a fast job logs only its last line');
  assert.match(log.text, /1000\/1000 100%/);
});

test('bin/drgrade.js runs the built CLI (when dist/ has been built)', () => {
  const bin = join(repoRoot(), 'packages', 'drgrade', 'bin', 'drgrade.js');
  assert.match(readFileSync(bin, 'utf8'), /^#!\/usr\/bin\/env node\nimport '\.\.\/dist\/cli\.js';/);
  if (!existsSync(join(repoRoot(), 'packages', 'drgrade', 'dist', 'cli.js'))) return;
  const help = execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.match(help, /data inspect/);
  const bad = spawnSync(process.execPath, [bin, 'data', 'inspect', '/no/such/folder'], { encoding: 'utf8' });
  assert.is(bad.status, 1);
  assert.is(bad.stderr, 'drgrade data inspect: data set folder not found: /no/such/folder\n');
});

test.run();
