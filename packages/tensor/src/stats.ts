import { getEngine } from './engine.ts';
import { flopsCounted } from './flops.ts';
import type { MemoryStats } from './memory.ts';
import type { Profile } from './profiler.ts';
import { liveTensors } from './tensor.ts';

/** Device memory held by the library: in use by live tensors, and held (in use + pooled). */
export function memoryStats(): MemoryStats {
  const pool = getEngine().pool;
  return {
    bytesInUse: pool.bytesInUse,
    bytesHeld: pool.bytesHeld,
    peakBytesInUse: pool.peakBytesInUse,
    liveTensors: liveTensors(),
    buffersCreated: pool.buffersCreated,
  };
}

export function resetPeakMemory(): void {
  const pool = getEngine().pool;
  pool.peakBytesInUse = pool.bytesInUse;
}

/** Releases pooled (unused) device buffers. */
export function trimMemory(): void { getEngine().trim(); }

/** Waits for all queued GPU work to finish; rethrows GPU errors it produced. */
export async function sync(): Promise<void> { await getEngine().sync(); }

/**
 * Dispatch, pipeline and bind-group cache counters, for benchmarks and tests, and the FLOPs of the
 * convolutions and matrix products run so far (flops.ts).
 */
export function engineStats(): { dispatches: number; submits: number; pipelines: number; bindGroupHits: number; flops: number } {
  const e = getEngine();
  return { dispatches: e.dispatches, submits: e.submits, pipelines: e.pipelineCount, bindGroupHits: e.bindGroupHits, flops: flopsCounted() };
}

/**
 * Runs `fn` (and waits for what it returns) with every kernel it dispatches timed on the device:
 * device milliseconds and calls per kernel and per op name, longest first. Needs the adapter's
 * `timestamp-query` feature (`deviceInfo().timestamps`); browsers may round timestamps (Chrome: to
 * 100 µs unless its WebGPU developer features are on), Node does not. Each dispatch runs in a pass
 * of its own meanwhile, so use it to find where time goes, not to time the work.
 */
export async function profile(fn: () => unknown): Promise<Profile> {
  const engine = getEngine();
  engine.startTimer();
  const outcome = await Promise.resolve().then(fn).then(() => null, (e: unknown) => ({ error: e }));
  const timer = engine.stopTimer();
  if (outcome) throw outcome.error;
  await engine.sync();
  return timer.result();
}
