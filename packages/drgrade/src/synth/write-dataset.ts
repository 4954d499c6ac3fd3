// Writing a whole synthetic data set (images on worker threads, labels, a manifest): used by
// `drgrade synth` and by `drgrade train` when no data set is given.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { GRADES } from '../data/types.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { Progress, type ProgressStream } from '../util/progress.ts';
import { WorkerPool } from '../util/worker-pool.ts';
import { workerScriptPath } from '../util/worker-script.ts';
import { planSyntheticDataset, writeSyntheticImage, writeSyntheticLabels, type SynthImage } from './dataset.ts';

export interface SynthDatasetOptions {
  n: number;
  size: number;
  seed: number;
  quality: number;
  /** Worker threads (default: all cores; 0 = this thread). */
  workers?: number;
}

/** Writes the data set to `out` and returns the number of images per grade. */
export async function writeSyntheticDataset(out: string, opts: SynthDatasetOptions, progressStream: ProgressStream): Promise<number[]> {
  const { n, size, seed, quality } = opts;
  const plan = planSyntheticDataset(n, size, seed);
  const threads = Math.min(opts.workers ?? availableParallelism(), n);
  const pool = threads > 0 ? new WorkerPool<{ out: string; image: SynthImage; quality: number }, string>(workerScriptPath('synth'), threads) : null;
  const progress = new Progress(progressStream, n, 'rendering');
  let rows: string[];
  try {
    rows = await Promise.all(plan.map(async (image) => {
      const row = pool ? await pool.run({ out, image, quality }) : writeSyntheticImage(out, image, quality);
      progress.tick();
      return row;
    }));
  } finally {
    await pool?.close();
  }
  progress.finish();
  writeSyntheticLabels(out, rows);
  const counts = GRADES.map((g) => plan.filter((p) => p.spec.grade === g).length);
  writeFileAtomic(resolve(out, 'drgrade-synth.json'), `${JSON.stringify({ tool: 'drgrade synth', n, size, seed, quality, grades: counts }, null, 2)}\n`);
  return counts;
}
