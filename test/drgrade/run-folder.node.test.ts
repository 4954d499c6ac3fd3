// Run folders are never silently overwritten: training into a folder holding a run is refused
// (a typed problem, which `drgrade train` words with --resume and --overwrite); overwriting moves
// the old run aside; fold jobs of one run share a folder; a refused command writes nothing.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from 'drgrade';
import { loadConfig, type DrgradeConfig } from '../../packages/drgrade/src/config/index.ts';
import { checkRunFolder, claimRunFolder, writeRunConfig } from '../../packages/drgrade/src/train/run-folder.ts';
import { RunProblemError, type RunProblem } from '../../packages/drgrade/src/train/run-problems.ts';
import { captureContext, put, tempDir } from './helpers.ts';

let config: DrgradeConfig;
let other: DrgradeConfig;

test.before(async () => {
  config = await loadConfig('tiny');
  other = await loadConfig('tiny', ['optim.lr=0.5']);
});

/** A run folder as `train` leaves it: config.json, and fold 0 with a checkpoint (and, finished, a result). */
function run(finished: boolean, cfg = config): string {
  const out = join(tempDir(), 'run');
  writeRunConfig(out, cfg);
  put(out, 'fold-0/checkpoint-last.safetensors', 'weights');
  if (finished) put(out, 'fold-0/result.json', '{"fold":0,"kappa":0.8}');
  return out;
}

const request = (over: Partial<Parameters<typeof checkRunFolder>[1]> = {}): Parameters<typeof checkRunFolder>[1] => ({ config, resume: false, overwrite: false, ...over });

/** The problem `check` is refused with (it must throw a RunProblemError). */
function refusal(check: () => void): RunProblem {
  try { check(); } catch (e) {
    if (e instanceof RunProblemError) return e.problem;
    throw e;
  }
  throw new Error('not refused');
}

test('an empty or missing folder is a fresh run; one that holds a run is refused, with the files that show it', () => {
  checkRunFolder(join(tempDir(), 'new'), request());
  checkRunFolder(tempDir(), request());
  for (const finished of [true, false]) {
    const out = run(finished);
    const artefacts = ['config.json', 'fold-0/checkpoint-last.safetensors', ...(finished ? ['fold-0/result.json'] : [])];
    assert.equal(refusal(() => checkRunFolder(out, request())), { kind: 'run-exists', out, artefacts });
    assert.throws(() => checkRunFolder(out, request()), (e: Error) => e.message === `${out} already holds a run (${artefacts.join(', ')}); ` +
      `resume it, or overwrite it (the old run is moved aside to ${out}.old-<time>)`);
  }
  const reportOnly = tempDir();
  put(reportOnly, 'report.html', '<html>');
  assert.equal(refusal(() => checkRunFolder(reportOnly, request())), { kind: 'run-exists', out: reportOnly, artefacts: ['report.html'] });
});

test('resuming continues a run of the same configuration only', () => {
  checkRunFolder(run(false), request({ resume: true }));
  const out = run(false, other);
  assert.equal(refusal(() => checkRunFolder(out, request({ resume: true }))), { kind: 'run-config-differs', file: join(out, 'config.json') });
  assert.equal(refusal(() => checkRunFolder(run(false), request({ resume: true, overwrite: true }))), { kind: 'resume-and-overwrite' });
});

test('a run started by an earlier version, whose config.json lacks fields added since, resumes; one with another value does not', () => {
  const out = run(false);
  // train.precision and model.densenet.memoryEfficient came after the first runs: an older
  // config.json has neither, and their defaults are what those runs did.
  const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
  delete saved.train.precision;
  delete saved.model.densenet.memoryEfficient;
  put(out, 'config.json', JSON.stringify(saved));
  checkRunFolder(out, request({ resume: true }));
  checkRunFolder(out, request({ folds: [1] }));
  // A field the current version does not know, or a value that differs, is another configuration.
  put(out, 'config.json', JSON.stringify({ ...saved, train: { ...saved.train, epochs: saved.train.epochs + 1 } }));
  assert.is(refusal(() => checkRunFolder(out, request({ resume: true }))).kind, 'run-config-differs');
  put(out, 'config.json', JSON.stringify({ ...saved, retired: true }));
  assert.is(refusal(() => checkRunFolder(out, request({ resume: true }))).kind, 'run-config-differs');
});

test('fold jobs of one run share the folder: another fold is not an overwrite, the same fold or another configuration is', () => {
  const out = run(true);
  checkRunFolder(out, request({ folds: [1] }));
  assert.is(refusal(() => checkRunFolder(out, request({ folds: [0] }))).kind, 'run-exists');
  assert.is(refusal(() => checkRunFolder(out, request({ folds: [1], config: other }))).kind, 'run-exists');
  assert.equal(refusal(() => checkRunFolder(out, request({ folds: [5] }))), { kind: 'fold-out-of-range', fold: 5, folds: 5 });
});

test('drgrade train words each refusal with its options: --resume, --overwrite, --fold, --config and --set; exit 2 for contradicting options', async () => {
  const say = async (argv: string[]): Promise<[number, string]> => {
    const ctx = captureContext();
    const status = await runCli(['train', ...argv], ctx);
    return [status, ctx.stderr.text];
  };
  const held = run(false);
  assert.equal(await say(['--out', held]), [1, `drgrade train: ${held} already holds a run (config.json, fold-0/checkpoint-last.safetensors); ` +
    `pass --resume to continue it, or --overwrite to move it aside to ${held}.old-<time> and start over\n`]);
  const differs = run(false, other);
  assert.equal(await say(['--out', differs, '--resume']), [1, `drgrade train: --resume: ${join(differs, 'config.json')} is another configuration; ` +
    'resume with the same --config and --set options, or pass --overwrite to move the old run aside and start over\n']);
  assert.equal(await say(['--out', held, '--resume', '--overwrite']), [2, 'drgrade train: give --resume (continue the run) or --overwrite (start over), not both\n']);
  assert.equal(await say(['--out', held, '--fold', '5']), [2, 'drgrade train: --fold 5 is not in 0..4 (train.folds is 5)\n']);
  assert.equal(readdirSync(held).sort(), ['config.json', 'fold-0'], 'refused runs write nothing');
});

test('--overwrite moves the old run aside, whole, and deletes nothing', () => {
  const out = run(true);
  const aside = claimRunFolder(out, request({ overwrite: true }));
  assert.ok(aside !== null && basename(aside).startsWith('run.old-'), String(aside));
  assert.not.ok(existsSync(out));
  assert.is(readFileSync(join(aside!, 'fold-0/result.json'), 'utf8'), '{"fold":0,"kappa":0.8}');
  assert.equal(JSON.parse(readFileSync(join(aside!, 'config.json'), 'utf8')), JSON.parse(JSON.stringify(config)));
  assert.equal(readdirSync(dirname(out)), [basename(aside!)]);
  assert.is(claimRunFolder(join(tempDir(), 'new'), request({ overwrite: true })), null, 'nothing to move');
});

test('drgrade train: a finished run is refused before any work and left byte for byte; bad data writes no config.json', async () => {
  const out = run(true, other);
  const before = readFileSync(join(out, 'config.json'));
  let ctx = captureContext();
  assert.is(await runCli(['train', '--out', out], ctx), 1);
  assert.match(ctx.stderr.text, /^drgrade train: .* already holds a run .*; pass --resume to continue it, or --overwrite/);
  assert.equal(readFileSync(join(out, 'config.json')), before);
  assert.equal(readdirSync(out).sort(), ['config.json', 'fold-0']);

  const data = tempDir();
  put(data, 'labels.csv', 'path,grade\nmissing.png,0\n');
  const fresh = join(tempDir(), 'fresh');
  ctx = captureContext();
  assert.is(await runCli(['train', '--data', data, '--out', fresh, '--workers', '0'], ctx), 1);
  assert.match(ctx.stderr.text, /the data set has errors/);
  assert.not.ok(existsSync(join(fresh, 'config.json')), 'config.json is written with the run, after the inputs are validated');
});

test.run();
