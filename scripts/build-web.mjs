// Builds the grading page (packages/drgrade/web) into packages/drgrade/dist/web: app.ts bundled by
// esbuild for browsers, with the same preprocessing and model code as Node, beside index.html and
// style.css. That folder is the whole site: any static server can host it (`drgrade serve` does).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const src = join(root, 'packages/drgrade/web');
const out = join(root, 'packages/drgrade/dist/web');

mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(src, 'app.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  loader: { '.wgsl': 'text' },
  tsconfig: join(root, 'tsconfig.json'),
  // @drgrade/tensor imports these only on its Node branch, behind a runtime check. Anything else
  // from Node (pngjs needs zlib) fails the build instead of reaching the browser.
  external: ['webgpu', 'node:*'],
  logLevel: 'warning',
});
for (const file of ['index.html', 'style.css']) copyFileSync(join(src, file), join(out, file));
console.log(`drgrade: page built in ${out}`);
