// The committed real-data recipes (configs/real/*.json, and configs/*.json beside them) are what
// scripts/real-cv.sh, the GPU script and the commands of docs/real-data.md run, often in a later session than the one that wrote them: each must still resolve
// against the current schema, carry its file's name, and say what it is.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig, preset, resolveConfig } from '../../packages/drgrade/src/config/index.ts';

const dir = join(process.cwd(), 'configs', 'real');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const top = join(process.cwd(), 'configs');
const others = readdirSync(top).filter((f) => f.endsWith('.json'));

test('there are recipes to check', () => {
  assert.ok(files.length >= 10, `${files.length} recipes in configs/real`);
});

test('every recipe resolves, is named after its file and describes itself', async () => {
  const all = [...files.map((f): [string, string] => [dir, f]), ...others.map((f): [string, string] => [top, f])];
  for (const [folder, f] of all) {
    const c = await loadConfig(join(folder, f));
    assert.is(c.name, f.replace(/\.json$/, ''), `${f}: name`);
    assert.ok(c.description.length > 20, `${f}: description`);
    // Real-data figures are reported at a fixed schedule or a validation split, never the held-out fold's best.
    assert.ok(['last', 'validation'].includes(c.train.selection), `${f}: selection ${c.train.selection}`);
    assert.is(c.train.folds, 5, `${f}: folds`);
  }
});

test('a recipe that no longer matches the schema is caught', () => {
  const bad = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as Record<string, unknown>;
  delete bad.extends;
  bad.data = { ...(bad.data as object), imageSise: 128 };
  assert.throws(() => resolveConfig(preset('tiny')!, bad, 'configs/real/x.json'), /imageSise/);
});

test.run();
