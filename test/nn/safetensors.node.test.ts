// safetensors files in Node: atomic save, load by path, and errors that name the file.
import { getDevice, tensor } from '@drgrade/tensor';
import { loadSafetensors, saveSafetensors, SafetensorsError } from '@drgrade/nn';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

let dir = '';
test.before(async () => {
  await getDevice();
  dir = mkdtempSync(join(tmpdir(), 'drgrade-nn-'));
});
test.after(() => { rmSync(dir, { recursive: true, force: true }); });

test('saveSafetensors writes atomically (no temporary file left) and loadSafetensors reads it back', async () => {
  const w = tensor([1, 2, 3, 4, 5, 6], [3, 2]);
  const n = tensor(Int32Array.from([3]), []);
  const path = join(dir, 'sub', 'model.safetensors');
  await saveSafetensors(path, { 'fc.weight': w, 'bn.num_batches_tracked': n }, { epoch: '4' });
  assert.equal(readdirSync(join(dir, 'sub')), ['model.safetensors']);
  const loaded = await loadSafetensors(path);
  assert.equal(Array.from(await loaded.get('fc.weight')!.toArray()), [1, 2, 3, 4, 5, 6]);
  assert.equal(Array.from(await loaded.get('bn.num_batches_tracked')!.toArray()), [3]);
  // Overwriting replaces the file whole.
  await saveSafetensors(path, { 'fc.weight': w });
  assert.equal([...(await loadSafetensors(path)).keys()], ['fc.weight']);
  for (const t of [w, n, ...loaded.values()]) t.dispose();
});

test('a missing or truncated file is an error naming the file', async () => {
  const missing = join(dir, 'nope.safetensors');
  try {
    await loadSafetensors(missing);
    assert.unreachable('no error');
  } catch (e) {
    assert.instance(e, SafetensorsError);
    assert.match((e as Error).message, new RegExp(`^${missing}: cannot read the file`));
  }
  const w = tensor(new Float32Array(100), [10, 10]);
  const path = join(dir, 'cut.safetensors');
  await saveSafetensors(path, { w });
  const full = readFileSync(path);
  writeFileSync(path, full.subarray(0, full.length - 7));
  try {
    await loadSafetensors(path);
    assert.unreachable('no error');
  } catch (e) {
    assert.match((e as Error).message, new RegExp(`^${path}: tensor 'w' ends at byte 400 of the data section, but only 393 bytes follow the header \\(truncated file\\)`));
  }
  w.dispose();
});

test.run();
