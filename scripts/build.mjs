// Bundles each package with esbuild. WGSL is embedded as text so one bundle runs in Node
// and in browsers; `webgpu` (the native Dawn addon) and Node built-ins stay external and are
// only imported dynamically where Node is detected.
import { build } from 'esbuild';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  sourcemap: true,
  loader: { '.wgsl': 'text' },
  tsconfig: join(root, 'tsconfig.json'),
  logLevel: 'warning',
};
const nodeExternals = ['webgpu', 'node:*', 'pngjs', 'jpeg-js', 'playwright-core'];

// Each package imports the others as packages (external), so a program that imports two of the
// bundles shares one device, one buffer pool and one Tensor class.
const entries = [
  ['packages/tensor/src/index.ts', 'packages/tensor/dist/index.js', []],
  ['packages/nn/src/index.ts', 'packages/nn/dist/index.js', ['@drgrade/tensor']],
  ['packages/drgrade/src/index.ts', 'packages/drgrade/dist/index.js', ['@drgrade/tensor', '@drgrade/nn']],
  ['packages/drgrade/src/cli/main.ts', 'packages/drgrade/dist/cli.js', ['@drgrade/tensor', '@drgrade/nn']],
];

await Promise.all(
  entries
    .filter(([src]) => existsSync(join(root, src)))
    .map(([src, out, packages]) =>
      build({ ...common, platform: 'neutral', mainFields: ['module', 'main'], external: [...nodeExternals, ...packages],
        entryPoints: [join(root, src)], outfile: join(root, out) }),
    ),
);

// Worker entry points (data loading on threads) are bundled beside the CLI.
const workerDir = join(root, 'packages/drgrade/src/workers');
if (existsSync(workerDir)) {
  const workers = readdirSync(workerDir).filter((f) => f.endsWith('.ts')).map((f) => join(workerDir, f));
  await build({ ...common, platform: 'node', external: nodeExternals, entryPoints: workers,
    outdir: join(root, 'packages/drgrade/dist/workers') });
}
// The grading page, so `drgrade serve` works right after npm ci.
await import('./build-web.mjs');
console.log('drgrade: build done');
