import { availableParallelism } from 'node:os';
import type { AugmentOptions } from '../image/augment.ts';
import type { PreprocessOptions } from '../image/preprocess.ts';
import { mixSeed, Rng } from '../util/rng.ts';
import { WorkerPool } from '../util/worker-pool.ts';
import { workerScriptPath } from '../util/worker-script.ts';
import type { SampleJob } from '../workers/sample.ts';
import { IMAGENET_MEAN, IMAGENET_STD, loadSampleFile, type SampleConfig } from './sample-pipeline.ts';
import type { DataItem } from './types.ts';

export interface LoaderOptions {
  items: readonly DataItem[];
  batchSize: number;
  /** Network input side in pixels. */
  imageSize: number;
  mean?: readonly [number, number, number];
  std?: readonly [number, number, number];
  /** Reshuffle every epoch (default true; false keeps the items' order, for evaluation). */
  shuffle?: boolean;
  /**
   * 'classes': each epoch draws as many images as the data set has, with replacement, each
   * grade equally likely (the minority grades of DR data sets are otherwise rarely seen).
   */
  balance?: 'none' | 'classes';
  augment?: AugmentOptions | null;
  /** Preprocess after decoding; null when the files were written by `drgrade preprocess`. */
  preprocess?: PreprocessOptions | null;
  seed?: number;
  /** Worker threads (default: cores − 1); 0 decodes on the calling thread. */
  workers?: number;
  /** Batches decoded ahead of the one being used (default 2). */
  prefetch?: number;
  /** Drop a last, smaller batch (default false). */
  dropLast?: boolean;
  maxPixels?: number;
  /** Explicit path of the bundled worker script (default: dist/workers/sample.js of drgrade). */
  workerScript?: string;
}

export interface Batch {
  /** NCHW float32, normalised. */
  images: Float32Array;
  labels: Int32Array;
  ids: string[];
  shape: [number, number, number, number];
}

/**
 * Batches of images for training and evaluation. The order of each epoch and every random
 * augmentation are derived from (seed, epoch, position), so a run is reproducible whatever the
 * number of threads and whichever thread finishes first. With workers, the next `prefetch`
 * batches are being decoded while the current one is used.
 */
export class DataLoader {
  private readonly config: SampleConfig;
  private readonly pool: WorkerPool<SampleJob, Float32Array> | null;
  private readonly options: Required<Pick<LoaderOptions, 'batchSize' | 'shuffle' | 'balance' | 'seed' | 'prefetch' | 'dropLast'>>;

  constructor(private readonly spec: LoaderOptions) {
    if (!Number.isInteger(spec.batchSize) || spec.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${spec.batchSize}`);
    if (spec.items.length === 0) throw new RangeError('DataLoader: no items');
    this.options = {
      batchSize: spec.batchSize,
      shuffle: spec.shuffle ?? true,
      balance: spec.balance ?? 'none',
      seed: spec.seed ?? 0,
      prefetch: Math.max(1, spec.prefetch ?? 2),
      dropLast: spec.dropLast ?? false,
    };
    this.config = {
      size: spec.imageSize,
      mean: spec.mean ?? IMAGENET_MEAN,
      std: spec.std ?? IMAGENET_STD,
      preprocess: spec.preprocess ?? null,
      augment: spec.augment ?? null,
      ...(spec.maxPixels === undefined ? {} : { maxPixels: spec.maxPixels }),
    };
    const workers = spec.workers ?? Math.max(1, availableParallelism() - 1);
    this.pool = workers > 0 ? new WorkerPool(spec.workerScript ?? workerScriptPath('sample'), workers, this.config) : null;
  }

  /** Item order for an epoch: shuffled, class-balanced, or as given. */
  order(epoch: number): number[] {
    const { items } = this.spec;
    const rng = new Rng(mixSeed(this.options.seed, epoch, 0x5eed));
    if (this.options.balance === 'classes') {
      // Draw a grade uniformly among those present, then an image of that grade uniformly.
      const byGrade = new Map<number, number[]>();
      items.forEach((item, i) => {
        const list = byGrade.get(item.grade);
        if (list) list.push(i);
        else byGrade.set(item.grade, [i]);
      });
      const groups = [...byGrade.values()];
      return items.map(() => rng.pick(rng.pick(groups)));
    }
    const indices = items.map((_, i) => i);
    return this.options.shuffle ? rng.shuffle(indices) : indices;
  }

  batchesPerEpoch(): number {
    const n = this.spec.items.length;
    return this.options.dropLast ? Math.floor(n / this.options.batchSize) : Math.ceil(n / this.options.batchSize);
  }

  /** The batches of one epoch, in order. */
  async *epoch(epoch: number): AsyncGenerator<Batch> {
    const order = this.order(epoch);
    const total = this.batchesPerEpoch();
    const inFlight: Promise<Batch>[] = [];
    let next = 0;
    while (next < total || inFlight.length > 0) {
      while (next < total && inFlight.length < this.options.prefetch + 1) {
        const batch = this.makeBatch(order, epoch, next++);
        // If the consumer stops early, batches decoded ahead may fail (pool closed) unobserved.
        batch.catch(() => undefined);
        inFlight.push(batch);
        // Without workers a batch is computed synchronously; making more ahead gains nothing.
        if (!this.pool) break;
      }
      yield await (inFlight.shift() as Promise<Batch>);
    }
  }

  private async makeBatch(order: number[], epoch: number, b: number): Promise<Batch> {
    const { batchSize } = this.options;
    const start = b * batchSize;
    const positions = order.slice(start, Math.min(start + batchSize, order.length));
    const n = positions.length;
    const size = this.config.size;
    const plane = 3 * size * size;
    const images = new Float32Array(n * plane);
    const labels = new Int32Array(n);
    const ids: string[] = [];
    const samples = positions.map((index, k) => {
      const item = this.spec.items[index] as DataItem;
      labels[k] = item.grade;
      ids.push(item.id);
      const seed = mixSeed(this.options.seed, epoch, start + k);
      return this.pool ? this.pool.run({ path: item.path, seed }) : Promise.resolve(loadSampleFile(item.path, seed, this.config));
    });
    const done = await Promise.all(samples);
    done.forEach((sample, k) => images.set(sample, k * plane));
    return { images, labels, ids, shape: [n, 3, size, size] };
  }

  /** Stops the worker threads; call when training ends (they keep the process alive). */
  async close(): Promise<void> {
    await this.pool?.close();
  }
}
