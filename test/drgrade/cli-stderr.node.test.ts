// What a user sees on stderr from the `drgrade` executable: drgrade's own lines only, none of
// Dawn's native notices. The executable is bundled from the current sources as scripts/build.mjs
// bundles dist/cli.js, and its stderr is a file, as with `drgrade predict photo.jpg 2> log`.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SAMPLE_IMAGES, repoRoot, sampleRoot } from './helpers.ts';

const root = repoRoot();
const cli = join(root, 'build', 'test', 'drgrade-cli.mjs');

test.before(() => {
  mkdirSync(join(root, 'build', 'test'), { recursive: true });
  buildSync({ entryPoints: [join(root, 'packages/drgrade/src/cli/main.ts')], bundle: true, platform: 'node', format: 'esm', outfile: cli,
    external: ['webgpu', 'pngjs', 'jpeg-js'], loader: { '.wgsl': 'text' }, tsconfig: join(root, 'tsconfig.json'), logLevel: 'error' });
});

test('drgrade predict prints its result and no Dawn notice', () => {
  const errFile = join(root, 'build', 'test', 'drgrade-cli.stderr');
  const err = openSync(errFile, 'w');
  const photo = join(sampleRoot(), SAMPLE_IMAGES, 'Patient146_L.jpg');
  const r = spawnSync(process.execPath, [cli, 'predict', photo, '--checkpoint', 'test/fixtures/models/tiny-synthetic.safetensors'],
    { cwd: root, env: { ...process.env, DRGRADE_ADAPTER: 'lavapipe' }, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', err] });
  closeSync(err);
  const stderr = readFileSync(errFile, 'utf8');
  assert.is(r.status, 0, stderr);
  assert.match(r.stdout, /Patient146_L\.jpg: grade [0-4]/);
  assert.not.match(stderr, /artificially reduced|Warning:/);
});

test.run();
