// Run folders are never silently overwritten: `train` into a folder holding a run refuses and
// names --resume and --overwrite; --overwrite moves the old run aside; fold jobs of one run share
// a folder; a refused command writes nothing.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from 'drgrade';
import { loadConfig, type DrgradeConfig } from '../../packages/drgrade/src/config/index.ts';
import { checkRunFolder, claimRunFolder, writeRunConfig } from '../../packages/drgrade/src/train/run-folder.ts';
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

test('an empty or missing folder is a fresh run; one that holds a run is refused, naming --resume and --overwrite', () => {
  checkRunFolder(join(tempDir(), 'new'), request());
  checkRunFolder(tempDir(), request());
  for (const finished of [true, false]) {
    const out = run(finished);
    assert.throws(() => checkRunFolder(out, request()), (e: Error) => e.message === `${out} already holds a run (config.json, fold-0/checkpoint-last.safetensors${finished ? ', fold-0/result.json' : ''}); ` +
      `pass --resume to continue it, or --overwrite to move it aside to ${out}.old-<time> and start over`);
  }
  const reportOnly = tempDir();
  put(reportOnly, 'report.html', '<html>');
  assert.throws(() => checkRunFolder(reportOnly, request()), /already holds a run \(report\.html\)/);
});

test('--resume continues a run of the same configuration only', () => {
  checkRunFolder(run(false), request({ resume: true }));
  assert.throws(() => checkRunFolder(run(false, other), request({ resume: true })), /config\.json is another configuration; resume with the same --config and --set options, or pass --overwrite/);
  assert.throws(() => checkRunFolder(run(false), request({ resume: true, overwrite: true })), /not both/);
});

test('fold jobs of one run share the folder: another fold is not an overwrite, the same fold or another configuration is', () => {
  const out = run(true);
  checkRunFolder(out, request({ folds: [1] }));
  assert.throws(() => checkRunFolder(out, request({ folds: [0] })), /already holds a run/);
  assert.throws(() => checkRunFolder(out, request({ folds: [1], config: other })), /already holds a run/);
  assert.throws(() => checkRunFolder(out, request({ folds: [5] })), /--fold 5 is not in 0\.\.4/);
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
