// Shared pieces of the benchmarks: argument flags, our library (bundled build), TF.js WebGPU on
// the same adapter, timing, and table / JSON output.
import { performance } from 'node:perf_hooks';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, with a trailing slash. */
export const root = fileURLToPath(new URL('..', import.meta.url));

export const args = new Set(process.argv.slice(2));
export const json = args.has('--json');
export const quick = args.has('--quick');

const dist = new URL('../packages/tensor/dist/index.js', import.meta.url);

/** Loads @drgrade/tensor (must happen before TF.js installs navigator.gpu). */
export async function loadOurs() {
  if (!existsSync(dist)) {
    console.error('bench: packages/tensor/dist/index.js is missing; run `npm run build` first.');
    process.exit(1);
  }
  const lib = await import(dist.href);
  await lib.getDevice();
  return lib;
}

/**
 * @drgrade/tensor and @drgrade/nn bundled together from the sources into build/bench/<name>-lib.js,
 * so both share one device and one engine; the device is opened. For the benches of whole models.
 */
export async function loadTensorAndNn(name) {
  const { build } = await import('esbuild');
  const outfile = `${root}build/bench/${name}-lib.js`;
  await build({
    stdin: { contents: "export * from '@drgrade/tensor'; export * from '@drgrade/nn';", resolveDir: root, loader: 'ts' },
    bundle: true, format: 'esm', platform: 'node', target: 'es2022', outfile, loader: { '.wgsl': 'text' },
    tsconfig: `${root}tsconfig.json`, external: ['webgpu', 'node:*'], logLevel: 'warning',
  });
  const lib = await import(outfile);
  await lib.getDevice();
  return lib;
}

/** Loads TF.js with its WebGPU backend on a Dawn instance in this process. */
export async function loadTfjs() {
  const { create, globals } = await import('webgpu');
  // TF.js reads GPUBufferUsage & co. as globals, as in a browser.
  Object.assign(globalThis, globals);
  const gpu = create([]);
  globalThis.navigator = { gpu };
  // Keeps the Dawn instance alive for the whole run.
  globalThis.__benchGpu = gpu;
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-webgpu');
  await tf.setBackend('webgpu');
  await tf.ready();
  return tf;
}

/**
 * Seconds per run of `launch` (which enqueues one op and returns its output): a warm run (it
 * compiles), a timed run, then, unless that took over 1.5 s, batches of runs, each followed by
 * one `wait(lastOutput)`; the best counts. `kind` is the adapter kind ('gpu' or 'cpu').
 */
export async function measureRuns(launch, wait, kind) {
  await wait(launch());
  const t0 = performance.now();
  await wait(launch());
  let best = performance.now() - t0;
  if (best > 1500) return best / 1000;
  // A GPU run takes well under a millisecond: many runs per wait, so the wait itself is not what is timed.
  const reps = Math.max(1, Math.min(kind === 'gpu' ? 100 : 8, Math.floor(400 / Math.max(best, 1))));
  // CPU adapters on a shared host are noisy (rows moved up to 3x between runs): more rounds there.
  const rounds = kind === 'cpu' ? 6 : 3;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    let last = null;
    for (let i = 0; i < reps; i++) { last?.dispose(); last = launch(); }
    await wait(last);
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  return best / 1000;
}

/**
 * How both libraries end a batch of runs: read back one element of the last output, which is
 * what a user's program waits on (`dg` is @drgrade/tensor, `tf` TF.js). Neither sleeps first.
 * An earlier version slept through 70 % of the expected time on CPU adapters, to leave dawn.node's
 * busy wait off the cores lavapipe computes on; measured on this 2-core VM it did the opposite:
 * both libraries ran slower for it (block 3 rows: ours 8.7 against 15.8 GFLOP/s forward, TF.js 2.0
 * against 2.9), ours more, as our runs are shorter.
 */
export function waiters(dg, tf) {
  return {
    async oursWait(t) {
      const flat = t.reshape([t.size]);
      const one = flat.slice([0], [1]);
      await one.item();
      for (const x of [one, flat, t]) x.dispose();
    },
    async tfjsWait(t) {
      const one = tf.slice(tf.reshape(t, [-1]), [0], [1]);
      await one.data();
      tf.dispose([one, t]);
    },
  };
}

/** Median seconds per call of `run` (which enqueues work), synchronising with `sync` once per round. */
export async function timeIt(run, sync, { warmup = 2, reps = 5, rounds = 3, budget = 4 } = {}) {
  for (let i = 0; i < warmup; i++) run();
  await sync();
  const times = [];
  const started = performance.now();
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    await sync();
    times.push((performance.now() - t0) / 1000 / reps);
    if ((performance.now() - started) / 1000 > budget) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export function geomean(values) {
  const v = values.filter((x) => x > 0 && Number.isFinite(x));
  return v.length ? Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length) : NaN;
}

export function printTable(title, adapter, rows, unit) {
  if (json) return;
  console.log(`\n${title} — adapter: ${adapter}${quick ? ' (--quick: trimmed shapes)' : ''}`);
  console.log(`${'op'.padEnd(20)} ${'shape'.padEnd(34)} ${('ours ' + unit).padStart(12)} ${('tfjs ' + unit).padStart(12)} ${'ratio'.padStart(7)}`);
  for (const r of rows) {
    const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
    console.log(`${r.op.padEnd(20)} ${r.shape.padEnd(34)} ${f(r.ours).padStart(12)} ${f(r.tfjs).padStart(12)} ${f(r.ratio).padStart(7)}`);
  }
}
