// Configuration: presets for every row of the paper's tables, validation messages, overrides.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig, preset, PRESET_NAMES } from '../../packages/drgrade/src/config/index.ts';
import { configReference } from '../../packages/drgrade/src/cli/config.ts';
import { readFileSync } from 'node:fs';

test('every paper row and tiny are shipped, with the paper\'s defaults', () => {
  for (const n of ['hbp-vgg16', 'bcnn-vgg16', 'dfl-resnet50', 'pmg-resnet50', 'ag-net', 'hbp-dsod-ce', 'hbp-dsod-fl', 'hbp-dsod-fl-or', 'hbp-dsod-fl-or-ml', 'real', 'tiny']) assert.ok(PRESET_NAMES.includes(n), n);
  const p = preset('hbp-dsod-fl-or-ml')!;
  assert.is(p.data.imageSize, 512);
  assert.is(p.train.batchSize, 32);
  assert.is(p.train.epochs, 150);
  assert.is(p.optim.momentum, 0.9);
  assert.is(p.optim.lr, 0.01);
  assert.equal([p.optim.schedule.type, p.optim.schedule.stepSize, p.optim.schedule.gamma], ['step', 50, 0.1]);
  assert.equal([p.loss.metric.weight, p.loss.classificationWeight], [0.5, 0.5]);
  assert.equal(p.model.densenet.blockConfig, [6, 12, 32, 32]);
  assert.is(preset('hbp-dsod-ce')!.loss.classification, 'ce');
  assert.is(preset('hbp-dsod-fl')!.loss.sord.enabled, false);
  assert.is(preset('hbp-dsod-fl-or')!.loss.sord.enabled, true);
  assert.is(preset('hbp-dsod-fl-or')!.loss.metric.weight, 0);
  assert.is(preset('bcnn-vgg16')!.model.type, 'vgg16-bcnn');
  assert.equal([preset('dfl-resnet50')!.model.type, preset('pmg-resnet50')!.model.type, preset('ag-net')!.model.type], ['resnet-dfl', 'resnet-pmg', 'alexnet-googlenet']);
  assert.is(preset('dfl-resnet50')!.model.resnet.depth, 50);
});

test('--set overrides are typed and validated', async () => {
  const c = await loadConfig('tiny', ['optim.lr=0.001', 'loss.metric.K=5', 'data.augment.hflip=false', 'loss.classWeights=[1,2,3,4,5]']);
  assert.is(c.optim.lr, 0.001);
  assert.is(c.loss.metric.K, 5);
  assert.is(c.data.augment.hflip, false);
  assert.equal(c.loss.classWeights, [1, 2, 3, 4, 5]);
  try { await loadConfig('tiny', ['optim.lr=fast']); assert.unreachable(); } catch (e) {
    assert.instance(e, ConfigError);
    assert.match((e as Error).message, /--set optim.lr=fast: optim.lr: expected a number, found string "fast"/);
  }
  try { await loadConfig('tiny', ['optim.lrr=1']); assert.unreachable(); } catch (e) {
    assert.match((e as Error).message, /optim.lrr: unknown field \(known fields here: type, lr,/);
  }
});

test('a JSON file: unknown and ill-typed fields are all listed with their paths', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'drgrade-config-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify({ extends: 'tiny', model: { type: 'resnet', hbp: { dim: -3 } }, train: { epochz: 3 } }));
  try { await loadConfig(file); assert.unreachable(); } catch (e) {
    const msg = (e as Error).message;
    assert.match(msg, /bad.json: 3 problems/);
    assert.match(msg, /model.type: must be one of "densenet", "densenet-fpn-hbp", "vgg16-hbp", "vgg16-bcnn", "resnet-dfl", "resnet-pmg", "alexnet-googlenet", found "resnet"/);
    assert.match(msg, /model.hbp.dim: must be >= 1, found -3/);
    assert.match(msg, /train.epochz: unknown field/);
  }
  const good = join(dir, 'good.json');
  writeFileSync(good, JSON.stringify({ extends: 'hbp-dsod-fl-or-ml', optim: { lr: 0.02 } }));
  const c = await loadConfig(good);
  assert.is(c.optim.lr, 0.02);
  assert.is(c.data.imageSize, 512);
  writeFileSync(join(dir, 'broken.json'), '{"optim": ');
  try { await loadConfig(join(dir, 'broken.json')); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /broken.json: not valid JSON/); }
  try { await loadConfig('nonesuch'); assert.unreachable(); } catch (e) { assert.match((e as Error).message, /no such preset or file \(presets: hbp-vgg16/); }
});

test('DFL/PMG settings that no network fits are one line naming the field', async () => {
  for (const [set, message] of [['model.resnet.depth=42', /model.resnet.depth: must be 18, 34, 50 or 101, found 42/],
    ['model.pmg.granularities=[8,0,2]', /model.pmg.granularities: tiles per side must be >= 1, found \[8, 0, 2\]/],
    ['model.pmg.granularities=[8,4]', /model.pmg.granularities: expected 3 numbers, found 2/]] as const) {
    try { await loadConfig('pmg-resnet50', [set]); assert.unreachable(); } catch (e) {
      assert.instance(e, ConfigError);
      assert.match((e as Error).message, message);
      assert.not.match((e as Error).message, /\n/);
    }
  }
});

test('docs/config.md is the current reference (regenerate with drgrade config docs > docs/config.md)', () => {
  const doc = readFileSync('docs/config.md', 'utf8');
  assert.is(doc, configReference());
  for (const field of ['loss.metric.warmupEpochs', 'optim.schedule.stepSize', 'model.hbp.dim', 'data.augment.shear']) assert.ok(doc.includes(`\`${field}\``), field);
});

test.run();
