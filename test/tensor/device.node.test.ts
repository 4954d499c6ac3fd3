// Adapter selection in Node: automatic choice, the fallback to SwiftShader, DRGRADE_ADAPTER, the
// report, clear errors, and no Dawn notices on the user's stderr.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSync } from 'esbuild';

// A tiny program that reports the adapter it got, bundled from the library's source.
const probe = 'build/test/probe-adapter.mjs';
test.before(() => {
  mkdirSync('build/test', { recursive: true });
  writeFileSync('build/test/probe-adapter.ts', `
    import { getDevice, tensor } from '../../packages/tensor/src/index.ts';
    try {
      const d = await getDevice();
      const v = await tensor([1, 2], [2]).add(1).toArray();
      if (process.env.DRGRADE_PROBE_STDERR) console.error(process.env.DRGRADE_PROBE_STDERR);
      console.log(JSON.stringify({ family: d.info.family, kind: d.info.kind, name: d.info.name, v: Array.from(v), limits: d.info.limits }));
    } catch (e) { console.log(JSON.stringify({ error: String(e.message) })); }
  `);
  buildSync({ entryPoints: ['build/test/probe-adapter.ts'], bundle: true, platform: 'node', format: 'esm', outfile: probe,
    external: ['webgpu'], loader: { '.wgsl': 'text' }, logLevel: 'error' });
});

/** Runs the probe with stderr going to a file, as `drgrade ... 2> log` does; returns its report and stderr. */
function run(env: Record<string, string>): Record<string, unknown> & { stderr: string } {
  const errFile = 'build/test/probe-adapter.stderr';
  const err = openSync(errFile, 'w');
  const r = spawnSync(process.execPath, [probe], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', err] });
  closeSync(err);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return { ...(JSON.parse(line) as Record<string, unknown>), stderr: readFileSync(errFile, 'utf8') };
}

const LIMIT_NOTICE = /artificially reduced/;
const LOADER_NOISE = /vkCreateInstance|loader_get_json|Found no drivers/;
/** Hides every Vulkan driver the loader would find by itself (lavapipe, GPU drivers) but not one named explicitly later. */
const NO_LOADER_DRIVERS = { VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json' };

test('auto picks an adapter, reports it, and computes', () => {
  const r = run({ DRGRADE_ADAPTER: '' });
  assert.ok(!r.error, String(r.error));
  assert.not.match(r.stderr, LIMIT_NOTICE, 'Dawn\'s limit notices do not reach stderr');
  assert.equal(r.v, [2, 3]);
  assert.ok(['lavapipe', 'swiftshader', 'gpu'].includes(String(r.family)));
  const limits = r.limits as Record<string, number>;
  assert.ok((limits.maxStorageBufferBindingSize ?? 0) >= 128 * 2 ** 20, 'requested the adapter\'s storage binding limit');
});

test('DRGRADE_ADAPTER=swiftshader and =lavapipe select those drivers', () => {
  const s = run({ DRGRADE_ADAPTER: 'swiftshader' });
  assert.is(s.family, 'swiftshader', JSON.stringify(s));
  assert.equal(s.v, [2, 3]);
  const l = run({ DRGRADE_ADAPTER: 'lavapipe' });
  assert.is(l.family, 'lavapipe', JSON.stringify(l));
});

test('an unknown DRGRADE_ADAPTER value is a clear error', () => {
  const r = run({ DRGRADE_ADAPTER: 'voodoo' });
  assert.match(String(r.error), /DRGRADE_ADAPTER=voodoo is not one of auto, gpu, lavapipe, swiftshader/);
});

test('asking for a GPU on a machine without one says so', () => {
  const r = run({ DRGRADE_ADAPTER: 'gpu' });
  if (r.family === 'gpu') return; // a real GPU is present: nothing to refuse
  assert.match(String(r.error), /DRGRADE_ADAPTER=gpu but the only adapter is/);
});

test('without lavapipe (or any driver the loader finds), auto falls back to chromium\'s SwiftShader', () => {
  assert.ok(existsSync('/usr/lib/chromium/vk_swiftshader_icd.json') || existsSync('/usr/lib/chromium-browser/vk_swiftshader_icd.json'),
    'chromium (with SwiftShader) is installed, as scripts/setup.sh does');
  const r = run({ DRGRADE_ADAPTER: '', ...NO_LOADER_DRIVERS });
  assert.ok(!r.error, String(r.error));
  assert.is(r.family, 'swiftshader');
  assert.match(String(r.name), /SwiftShader/);
  assert.equal(r.v, [2, 3]);
  assert.not.match(r.stderr, LOADER_NOISE, 'the failed first attempt\'s loader warnings are not shown');
  assert.not.match(r.stderr, LIMIT_NOTICE);
});

test('no Vulkan driver at all: one error that says what to install', () => {
  // VK_LOADER_DRIVERS_DISABLE also hides SwiftShader's ICD when the fallback names it.
  const r = run({ DRGRADE_ADAPTER: '', ...NO_LOADER_DRIVERS, VK_LOADER_DRIVERS_DISABLE: '*' });
  assert.match(String(r.error), /No WebGPU adapter found.*mesa-vulkan-drivers/);
  assert.not.match(r.stderr, LOADER_NOISE);
});

test('Dawn\'s limit notices are removed on a terminal and a pipe too; the program\'s own stderr lines still arrive', () => {
  // Through a socket (a Node parent's stdio 'pipe'; it cannot be reopened) stderr is left alone:
  // this shows Dawn does print the notices for this adapter, so their absence elsewhere means something.
  const socket = spawnSync(process.execPath, [probe], { env: { ...process.env, DRGRADE_ADAPTER: 'lavapipe' }, encoding: 'utf8', timeout: 60_000 });
  assert.match(socket.stderr, LIMIT_NOTICE);
  const terminal = spawnSync('script', ['-qec', `${process.execPath} ${probe}`, '/dev/null'], { env: { ...process.env, DRGRADE_ADAPTER: 'lavapipe' }, encoding: 'utf8', timeout: 60_000 });
  assert.match(terminal.stdout, /"family":"lavapipe"/);
  assert.not.match(terminal.stdout, LIMIT_NOTICE);
  const pipe = spawnSync('bash', ['-c', `${process.execPath} ${probe} 2>&1 >/dev/null | cat`], { env: { ...process.env, DRGRADE_ADAPTER: 'lavapipe', DRGRADE_PROBE_STDERR: 'a line of our own' }, encoding: 'utf8', timeout: 60_000 });
  assert.is(pipe.stdout.trim(), 'a line of our own');
});

test.run();
