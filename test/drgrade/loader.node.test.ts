// DataLoader: layout and normalisation, reproducibility across threads, balancing, prefetching.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DataLoader, DEFAULT_AUGMENT, decodeImage, readDataset, resize, type Batch, type DataItem } from 'drgrade';
import { workerScriptPath } from '../../packages/drgrade/src/util/worker-script.ts';
import { buildWorkers, put, repoRoot, sampleRoot, tempDir, tinyImage } from './helpers.ts';

const workerScript = join(buildWorkers(), 'sample.js');
const sample = readDataset(sampleRoot()).items;

async function collect(loader: DataLoader, epoch: number): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const batch of loader.epoch(epoch)) batches.push(batch);
  return batches;
}

test('batches are NCHW float32, normalised with the given mean/std, labels and ids aligned', async () => {
  const mean = [0.5, 0.4, 0.3] as const;
  const std = [0.2, 0.25, 0.3] as const;
  const loader = new DataLoader({ items: sample, batchSize: 4, imageSize: 32, mean, std, shuffle: false, workers: 0 });
  const batches = await collect(loader, 0);
  assert.equal(batches.map((b) => b.shape), [[4, 3, 32, 32], [4, 3, 32, 32], [3, 3, 32, 32]]);
  const first = batches[0] as Batch;
  assert.equal(first.ids, sample.slice(0, 4).map((i) => i.id));
  assert.equal(Array.from(first.labels), sample.slice(0, 4).map((i) => i.grade));
  // Image 1 of the batch, channel 2 (blue), pixel (x=5, y=7), from the decoded file directly.
  const item = sample[1] as DataItem;
  const expected = resize(decodeImage(readFileSync(item.path)), 32, 32);
  const blue = expected.data[(7 * 32 + 5) * 3 + 2] as number;
  const got = first.images[1 * 3 * 32 * 32 + 2 * 32 * 32 + 7 * 32 + 5] as number;
  assert.ok(Math.abs(got - (blue / 255 - 0.3) / 0.3) < 1e-6);
  await loader.close();
});

test('worker threads give exactly the in-process batches (augmentation seeded per sample)', async () => {
  const options = { items: sample, batchSize: 3, imageSize: 40, augment: DEFAULT_AUGMENT, preprocess: { size: 64, sigma: 2 }, seed: 17 };
  const local = new DataLoader({ ...options, workers: 0 });
  const threaded = new DataLoader({ ...options, workers: 2, workerScript });
  for (const epoch of [0, 1]) {
    const a = await collect(local, epoch);
    const b = await collect(threaded, epoch);
    assert.equal(b.map((x) => x.ids), a.map((x) => x.ids));
    b.forEach((batch, i) => assert.equal(batch.images, (a[i] as Batch).images, `epoch ${epoch} batch ${i}`));
  }
  await threaded.close();
});

test('epochs: each image once, a new order per epoch, reproducible; dropLast', async () => {
  const loader = new DataLoader({ items: sample, batchSize: 4, imageSize: 8, seed: 3, workers: 0, dropLast: true });
  assert.is(loader.batchesPerEpoch(), 2);
  const o0 = loader.order(0);
  assert.equal([...o0].sort((a, b) => a - b), sample.map((_, i) => i));
  assert.not.equal(loader.order(1), o0);
  assert.equal(new DataLoader({ items: sample, batchSize: 4, imageSize: 8, seed: 3, workers: 0 }).order(0), o0);
  assert.is((await collect(loader, 0)).length, 2);
});

test('class-balanced sampling draws every grade about equally often', () => {
  const items: DataItem[] = Array.from({ length: 100 }, (_, i) => ({ id: `i${i}`, path: '/dev/null', grade: (i < 70 ? 0 : i < 90 ? 2 : 4) as 0 | 2 | 4, group: `g${i}` }));
  const loader = new DataLoader({ items, batchSize: 10, imageSize: 8, balance: 'classes', workers: 0 });
  const counts = new Map<number, number>();
  for (let e = 0; e < 50; e++) for (const i of loader.order(e)) counts.set(items[i]!.grade, (counts.get(items[i]!.grade) ?? 0) + 1);
  for (const grade of [0, 2, 4]) assert.ok(Math.abs((counts.get(grade) ?? 0) / 5000 - 1 / 3) < 0.03, `grade ${grade}: ${counts.get(grade)}`);
});

test('prefetching: while a batch is used, the next ones are decoded on the worker threads', async () => {
  const loader = new DataLoader({ items: sample, batchSize: 2, imageSize: 64, workers: 2, prefetch: 2, workerScript, shuffle: false });
  const it = loader.epoch(0)[Symbol.asyncIterator]();
  await it.next();
  // "Training" on batch 0; batches 1 and 2 (four 768-px JPEGs) decode meanwhile.
  await new Promise((r) => setTimeout(r, 2500));
  const waits: number[] = [];
  for (let i = 0; i < 2; i++) {
    const t = performance.now();
    await it.next();
    waits.push(performance.now() - t);
  }
  await it.return?.(undefined);
  await loader.close();
  assert.ok(Math.max(...waits) < 40, `waited ${waits.map((w) => w.toFixed(1)).join(', ')} ms for prefetched batches`);
});

test('an image that cannot be decoded fails the batch with a message naming the file', async () => {
  const root = tempDir();
  put(root, 'ok.png', tinyImage(1));
  const bad = put(root, 'bad.png', new TextEncoder().encode('garbage'));
  const items: DataItem[] = [{ id: 'ok', path: join(root, 'ok.png'), grade: 0, group: 'a' }, { id: 'bad', path: bad, grade: 1, group: 'b' }];
  for (const workers of [0, 1]) {
    const loader = new DataLoader({ items, batchSize: 2, imageSize: 8, workers, workerScript, shuffle: false });
    try {
      await collect(loader, 0);
      assert.unreachable('should fail');
    } catch (error) {
      assert.is((error as Error).name, 'UserError');
      assert.match((error as Error).message, /bad\.png: not a JPEG or PNG/);
    } finally {
      await loader.close();
    }
  }
});

test('the default worker script is dist/workers/sample.js of the drgrade package', () => {
  const built = join(repoRoot(), 'packages', 'drgrade', 'dist', 'workers', 'sample.js');
  if (existsSync(built)) assert.is(workerScriptPath('sample'), built);
  else assert.throws(() => workerScriptPath('sample'), /npm run build/);
  assert.throws(() => workerScriptPath('no-such-worker'), /no-such-worker\.js not found: run "npm run build"/);
});

test.run();
