// Adapter selection in Node: automatic choice, DRGRADE_ADAPTER, the report, and clear errors.
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
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
      console.log(JSON.stringify({ family: d.info.family, kind: d.info.kind, name: d.info.name, v: Array.from(v), limits: d.info.limits }));
    } catch (e) { console.log(JSON.stringify({ error: String(e.message) })); }
  `);
  buildSync({ entryPoints: ['build/test/probe-adapter.ts'], bundle: true, platform: 'node', format: 'esm', outfile: probe,
    external: ['webgpu'], loader: { '.wgsl': 'text' }, logLevel: 'error' });
});

function run(env: Record<string, string>): Record<string, unknown> {
  const r = spawnSync(process.execPath, [probe], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Record<string, unknown>;
}

test('auto picks an adapter, reports it, and computes', () => {
  const r = run({ DRGRADE_ADAPTER: '' });
  assert.ok(!r.error, String(r.error));
  assert.equal(r.v, [2, 3]);
  assert.ok(['lavapipe', 'swiftshader', 'gpu'].includes(String(r.family)));
  const limits = r.limits as Record<string, number>;
  assert.ok(limits.maxStorageBufferBindingSize >= 128 * 2 ** 20, 'requested the adapter\'s storage binding limit');
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

test('no Vulkan driver at all: one error that says what to install', () => {
  const r = run({ DRGRADE_ADAPTER: '', VK_ICD_FILENAMES: '/nonexistent.json', VK_DRIVER_FILES: '/nonexistent.json' });
  assert.match(String(r.error), /No WebGPU adapter found.*mesa-vulkan-drivers/);
});

test.run();
