// Preprocessing every image of a data set into a folder (same relative paths), on worker
// threads, skipping finished files: used by `drgrade preprocess` and by the training cache.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname, join, relative } from 'node:path';
import type { ImageFileFormat } from '../image/encode.ts';
import type { PreprocessOptions } from '../image/preprocess.ts';
import { ImageDecodeError } from '../util/errors.ts';
import { Progress, type ProgressStream } from '../util/progress.ts';
import { WorkerPool } from '../util/worker-pool.ts';
import { workerScriptPath } from '../util/worker-script.ts';
import { imageProblemKind } from './check-images.ts';
import { preprocessFile, type PreprocessJob } from './preprocess-file.ts';
import type { DataItem, DataProblem } from './types.ts';

export interface PreprocessSettings {
  options: PreprocessOptions;
  imageFormat: ImageFileFormat;
  quality: number;
  /** Worker threads (default: all cores; 0 = this thread). */
  workers?: number;
  /** Leave out (as failures of kind 'ungradable') photographs without a gradable fundus; default true. */
  gradability?: boolean;
}

export interface PreprocessOutcome {
  /** The items with `path` pointing at the preprocessed file (failed images left out). */
  items: DataItem[];
  written: number;
  alreadyDone: number;
  failures: DataProblem[];
  seconds: number;
  threads: number;
}

export function preprocessedPath(root: string, out: string, item: DataItem, format: ImageFileFormat): string {
  const rel = relative(root, item.path);
  return join(out, rel.slice(0, rel.length - extname(rel).length) + (format === 'png' ? '.png' : '.jpg'));
}

export async function preprocessItems(root: string, items: readonly DataItem[], out: string, settings: PreprocessSettings, stream: ProgressStream, label = 'preprocessing'): Promise<PreprocessOutcome> {
  const { options, imageFormat, quality } = settings;
  const jobs: (PreprocessJob & { item: DataItem })[] = [];
  let alreadyDone = 0;
  for (const item of items) {
    const dst = preprocessedPath(root, out, item, imageFormat);
    if (existsSync(dst)) alreadyDone++;
    else jobs.push({ src: item.path, dst, options, format: imageFormat, quality, gradability: settings.gradability ?? true, item });
  }
  const threads = Math.min(settings.workers ?? availableParallelism(), jobs.length);
  const pool = threads > 0 ? new WorkerPool<PreprocessJob, { width: number; height: number }>(workerScriptPath('preprocess'), threads) : null;
  const progress = new Progress(stream, items.length, label, alreadyDone);
  const failures: DataProblem[] = [];
  const failed = new Set<DataItem>();
  const started = performance.now();
  const runJob = async ({ item, ...job }: PreprocessJob & { item: DataItem }): Promise<void> => {
    try {
      if (pool) await pool.run(job);
      else preprocessFile(job);
    } catch (error) {
      if (!(error instanceof ImageDecodeError)) throw error;
      failed.add(item);
      failures.push({ kind: imageProblemKind(error.kind), severity: 'error', file: relative(root, job.src), message: error.message });
    }
    progress.tick();
  };
  try {
    if (pool) await Promise.all(jobs.map(runJob));
    else for (const job of jobs) await runJob(job);
  } finally {
    await pool?.close();
  }
  progress.finish();
  return {
    items: items.filter((i) => !failed.has(i)).map((i) => ({ ...i, path: preprocessedPath(root, out, i, imageFormat) })),
    written: jobs.length - failures.length,
    alreadyDone,
    failures,
    seconds: (performance.now() - started) / 1000,
    threads: pool ? pool.size : 0,
  };
}
