// npm pack / publish of the drgrade package (prepack, postpack): the package carries the shipped
// model, so `drgrade predict` works after an npm install without naming one. The repository keeps
// one copy at models/; packing copies it into packages/drgrade/models/ and removes it afterwards.
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const from = join(root, 'models');
const into = join(root, 'packages', 'drgrade', 'models');
const files = ['drgrade-real.safetensors', 'README.md'];

if (process.argv[2] === '--clean') {
  rmSync(into, { recursive: true, force: true });
} else {
  const missing = files.filter((f) => !existsSync(join(from, f)));
  if (missing.includes(files[0])) {
    console.error(`pack-models: ${join(from, files[0])} is missing: the package would ship without its default model`);
    process.exit(1);
  }
  mkdirSync(into, { recursive: true });
  for (const f of files) if (!missing.includes(f)) copyFileSync(join(from, f), join(into, f));
}
