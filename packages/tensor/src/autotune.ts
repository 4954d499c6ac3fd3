// Picks the fastest kernel variant per (adapter, op, shape class) by timing the candidates.
//
// Ops are synchronous and GPU timing is not, so a shape class runs the adapter's fixed default
// until it has been timed. Its first use records a tuning job; its second use (work that repeats,
// like a training loop, is what tuning pays off for; a one-shot script never waits on it)
// schedules the jobs to run as soon as the JavaScript thread is idle, which suits interactive use:
// a page grading photographs, or a script grading one, never waits on them at a readback. A loop
// whose readbacks resolve as microtasks (a fast CPU adapter) may never leave the thread idle, so
// the owner of a loop decides when tuning may run: `await tunePending()` runs the queued jobs at
// once (drgrade's trainer calls it after each step; it returns at once when nothing is queued).
// A job times every candidate on scratch tensors of the same shape, and later calls use the winner.
// Decisions are kept in memory and, in Node, persisted to `$DRGRADE_CACHE_DIR/autotune.json`
// (default `~/.cache/drgrade/autotune.json`), so a second run starts tuned. Candidates compute
// the same function and differ only in the order of float additions, so tuning changes results by
// rounding only.
//
// Off with `DRGRADE_AUTOTUNE=0` (Node), `globalThis.DRGRADE_AUTOTUNE = '0'` (browsers) or
// `setAutotune({ enabled: false })`: every op then uses the fixed default, which is what the test
// run does so that its results never depend on timing.
import { deviceSync, uncaptured } from './device.ts';
import { getEngine } from './engine.ts';

/** Scratch inputs of one shape class, on which each candidate can be run. */
export interface TuneBench<V = string> {
  /** Records one run of `variant` (dispatches only; the tuner syncs). */
  run(variant: V): void;
  dispose(): void;
}

export interface AutotuneOptions {
  /** Time candidates and use the fastest (default: on unless DRGRADE_AUTOTUNE=0). */
  enabled?: boolean;
  /** Node: read and write the decision file (default on). */
  persist?: boolean;
  /**
   * Time shape classes not decided yet (default on). Off for one-shot work, such as a command
   * grading a few photographs, that ends before timings could pay off (they would cost more than
   * the work itself on a CPU adapter): decisions already made, in memory or persisted, still apply.
   */
  timeNew?: boolean;
}

interface Job {
  key: string;
  candidates: string[];
  make: () => TuneBench;
}

const decisions = new Map<string, string>();
const pending = new Map<string, Job>();
const uses = new Map<string, number>();
let enabled: boolean | null = null;
let persist = true;
let timeNew = true;
let loaded = false;
let scheduled = false;
let running: Promise<void> | null = null;
/** Shape classes timed by this process: each ran the default kernel until then, the winner after. */
let timedHere = 0;

type Fs = typeof import('node:fs');
type Builtins = { getBuiltinModule?: (id: string) => unknown };

/** node:fs when running in Node (synchronously, so the first op can read the decision file). */
function nodeFs(): Fs | null {
  if (typeof process === 'undefined' || typeof process.versions?.node !== 'string') return null;
  return ((process as unknown as Builtins).getBuiltinModule?.('node:fs') as Fs | undefined) ?? null;
}

function envSetting(): string | undefined {
  if (typeof process !== 'undefined' && typeof process.env === 'object' && process.env.DRGRADE_AUTOTUNE !== undefined) {
    return process.env.DRGRADE_AUTOTUNE;
  }
  const g = (globalThis as { DRGRADE_AUTOTUNE?: unknown }).DRGRADE_AUTOTUNE;
  return g === undefined ? undefined : String(g);
}

export function autotuneEnabled(): boolean {
  return enabled ?? envSetting() !== '0';
}

export function setAutotune(options: AutotuneOptions): void {
  if (options.enabled !== undefined) enabled = options.enabled;
  if (options.persist !== undefined) persist = options.persist;
  if (options.timeNew !== undefined) timeNew = options.timeNew;
}

/** Where decisions are persisted in Node (null in browsers). */
export function autotuneCachePath(): string | null {
  if (!nodeFs()) return null;
  const dir = process.env.DRGRADE_CACHE_DIR || `${process.env.HOME || process.env.USERPROFILE || '.'}/.cache/drgrade`;
  return `${dir}/autotune.json`;
}

function readFile(): Record<string, string> {
  const fs = nodeFs();
  const path = autotuneCachePath();
  if (!fs || !path || !persist || !fs.existsSync(path)) return {};
  try {
    const data: unknown = JSON.parse(fs.readFileSync(path, 'utf8'));
    if (!data || typeof data !== 'object') return {};
    return Object.fromEntries(Object.entries(data).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    // A corrupt or half-written file only costs a re-tune.
    return {};
  }
}

function load(): void {
  if (loaded) return;
  loaded = true;
  for (const [k, v] of Object.entries(readFile())) if (!decisions.has(k)) decisions.set(k, v);
}

function save(fresh: Map<string, string>): void {
  const fs = nodeFs();
  const path = autotuneCachePath();
  if (!fs || !path || !persist || fresh.size === 0) return;
  try {
    // Merge with what other processes wrote meanwhile; write-then-rename so readers never see half a file.
    const merged = { ...readFile(), ...Object.fromEntries(fresh) };
    fs.mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(merged, null, 1)}\n`);
    fs.renameSync(tmp, path);
  } catch {
    // A read-only home directory only means decisions stay in memory.
  }
}

/**
 * The generation of the kernels' code, part of every decision's key: bumped when a change can
 * reorder the candidates' speeds (2: register kernels sum each iteration's products before
 * updating their accumulators), so that decisions persisted for older kernels are timed again
 * instead of reused.
 */
const KERNEL_REVISION = 2;

// tuned() runs on every conv and matmul dispatch: the key is built once per device.
let keyOf: { info: object; key: string } | null = null;

function adapterKey(): string {
  const info = deviceSync().info;
  if (keyOf?.info !== info) {
    keyOf = { info, key: `${info.name} (${info.runtime}, subgroup ${info.subgroupSize ?? '-'}, kernels r${KERNEL_REVISION})` };
  }
  return keyOf.key;
}

/**
 * The variant to use for `op` on shapes of `shapeClass`: the tuned one when known, else the first
 * of `candidates`, the adapter's default (and, with tuning on, a job is queued that times the
 * candidates on the bench `make` builds). Decisions are kept by the candidates' names (`name`).
 */
export function tuned<V>(op: string, shapeClass: string, candidates: readonly V[], name: (v: V) => string, make: () => TuneBench<V>): V {
  const fallback = candidates[0]!;
  if (candidates.length < 2 || !autotuneEnabled()) return fallback;
  load();
  const names = candidates.map(name);
  // The candidate list is part of the key: a decision made before a variant existed is not one
  // made against it, so adding a kernel re-times the shape classes it can run.
  const key = `${adapterKey()} | ${op} | ${shapeClass} | ${names.join(',')}`;
  const hit = names.indexOf(decisions.get(key) ?? '');
  if (hit >= 0) return candidates[hit]!;
  if (!timeNew) return fallback;
  if (!pending.has(key)) {
    pending.set(key, {
      key, candidates: names, make: () => {
        const bench = make();
        return { run: (n) => bench.run(candidates[names.indexOf(n)]!), dispose: () => bench.dispose() };
      },
    });
  }
  const n = (uses.get(key) ?? 0) + 1;
  uses.set(key, n);
  if (n >= 2 && !scheduled) {
    scheduled = true;
    // Runs when the caller next yields (e.g. awaits a readback), never inside a synchronous tidy;
    // unref'd so that a Node process that is done anyway does not stay for it.
    const timer = setTimeout(() => { scheduled = false; void tunePending(); }, 0) as unknown as { unref?: () => void };
    timer.unref?.();
  }
  return fallback;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Submits what is recorded and waits for it, sleeping through `expectMs` first: dawn.node
 * busy-waits while awaiting the queue and would take a core from a CPU adapter. This bypasses
 * the engine's own pacing, whose prediction for a candidate comes from the previous one's speed
 * (candidates differ tenfold) and would pad a fast candidate's time with sleep.
 */
async function finish(expectMs: number): Promise<void> {
  const engine = getEngine();
  engine.flush();
  if (expectMs > 1) await sleep(expectMs);
  await engine.gpu.queue.onSubmittedWorkDone();
  // Close the engine's wait bookkeeping without letting it learn from a wait it did not pace.
  engine.pacer.compiling();
  engine.pacer.completed();
  engine.check();
}

/**
 * Seconds per run of `variant`: the best of a few batches of runs, each batch one wait. A
 * candidate already 1.5x slower than `bestSoFar` on its first timed run is not timed further,
 * and slow shapes (over 0.3 s a run) get that one run, so tuning a large shape stays cheap.
 */
async function timeVariant(bench: TuneBench, variant: string, bestSoFar: number): Promise<number> {
  // The first run also compiles the pipeline (the driver may do so only when it first runs).
  bench.run(variant);
  await finish(0);
  const t0 = performance.now();
  bench.run(variant);
  await finish(0);
  const best = performance.now() - t0;
  if (deviceSync().info.kind === 'gpu') return gpuTime(bench, variant, best);
  if (best > 300 || best > 1.5 * bestSoFar * 1000) return best / 1000;
  // Enough runs per batch that a wait's overhead is small; sleeping through most of the batch
  // keeps dawn.node's busy wait off the cores the CPU adapter computes on.
  const reps = Math.max(1, Math.min(8, Math.floor(60 / Math.max(best, 1))));
  return bestOfBatches(bench, variant, reps, best, 0.7);
}

/**
 * Seconds per run: the best of `bestMs` (ms per run so far) and two more batches of `reps` runs,
 * each ended by one wait after sleeping `sleepFraction` of the batch's expected time.
 */
async function bestOfBatches(bench: TuneBench, variant: string, reps: number, bestMs: number, sleepFraction: number): Promise<number> {
  let best = bestMs;
  for (let r = 0; r < 2; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) bench.run(variant);
    await finish(sleepFraction * best * reps);
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  return best / 1000;
}

/**
 * On a GPU one run takes microseconds and its time is mostly the submit-and-wait latency, the
 * same for every candidate: batches grow until the work dominates (10 ms, or 256 runs), with no
 * sleep (there is no CPU adapter to leave cores to), and the best of three such batches counts.
 */
async function gpuTime(bench: TuneBench, variant: string, singleMs: number): Promise<number> {
  if (singleMs > 300) return singleMs / 1000;
  let reps = 1;
  let batchMs = singleMs;
  while (batchMs < 10 && reps < 256) {
    reps *= 4;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) bench.run(variant);
    await finish(0);
    batchMs = performance.now() - t0;
  }
  return bestOfBatches(bench, variant, reps, batchMs / reps, 0);
}

/**
 * The fastest candidate, after timing the two fastest once more each when they came within
 * CLOSE of each other: on a shared CPU host one slow moment while a candidate was timed has
 * decided the choice (bench/RESULTS.md, "Why the kernels are built as they are"), and a second
 * look at the close pair costs two timings.
 */
const CLOSE = 1.3;

async function settleClose(bench: TuneBench, times: Map<string, number>): Promise<string> {
  const ranked = [...times.entries()].sort((a, b) => a[1] - b[1]);
  const [first, second] = ranked;
  if (!second || second[1] > CLOSE * first![1]) return first![0];
  for (const [variant, t] of [second, first!]) times.set(variant, Math.min(t, await timeVariant(bench, variant, Infinity)));
  return times.get(second[0])! < times.get(first![0])! ? second[0] : first![0];
}

async function runJobs(): Promise<void> {
  const fresh = new Map<string, string>();
  while (pending.size > 0) {
    const [key, job] = pending.entries().next().value as [string, Job];
    pending.delete(key);
    const bench = job.make();
    try {
      const times = new Map<string, number>();
      let bestTime = Infinity;
      for (const variant of job.candidates) {
        const t = await timeVariant(bench, variant, bestTime);
        times.set(variant, t);
        bestTime = Math.min(bestTime, t);
      }
      const best = await settleClose(bench, times);
      decisions.set(key, best);
      fresh.set(key, best);
      timedHere++;
    } finally {
      bench.dispose();
    }
  }
  save(fresh);
}

/**
 * Times every queued shape class now. Call it after a training step (a loop's readbacks may never
 * leave the thread idle) or before a benchmark to have the tuned kernels from then on; it returns
 * at once when nothing is queued, and also runs by itself whenever the thread is idle.
 */
export async function tunePending(): Promise<void> {
  while (running) await running;
  if (pending.size === 0) return;
  running = runJobs().catch((e: unknown) => {
    // Errors surface at the caller's next op, as for any batch of GPU work.
    uncaptured.push(`autotune: ${e instanceof Error ? e.message : String(e)}`);
  }).finally(() => { running = null; });
  await running;
}

/** The decisions made so far (key: adapter | op | shape class), for reports and tests. */
export function autotuneDecisions(): Record<string, string> {
  load();
  return Object.fromEntries(decisions);
}

/**
 * How many shape classes this process has timed so far. A stretch of work during which it grew
 * changed kernels part-way (default, then the winner), and the winner depends on timings, so
 * such work is not repeatable bit for bit: the candidates differ in the order of float additions.
 * Work that timed nothing ran on fixed choices (the defaults, or decisions made earlier) and is.
 */
export function autotuneTimedCount(): number {
  return timedHere;
}

/** Forgets every decision in memory (the Node file stays). */
export function clearAutotune(): void {
  decisions.clear();
  pending.clear();
  uses.clear();
}

/** log2 bucket of a dimension, so nearby sizes share one decision. */
export function sizeClass(n: number): number {
  return n <= 1 ? 0 : Math.round(Math.log2(n));
}
