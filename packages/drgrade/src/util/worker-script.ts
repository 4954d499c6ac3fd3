import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from './errors.ts';

function isDrgradePackage(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'drgrade';
  } catch {
    return false;
  }
}

/**
 * The drgrade package folder, found by walking up from this module: the bundle lives in
 * packages/drgrade/dist (or node_modules/drgrade/dist), while a test bundle lives in
 * build/test/node/ of the repository, whose packages/drgrade holds the package.
 */
export function drgradePackageDir(from: string = dirname(fileURLToPath(import.meta.url))): string | null {
  let dir = from;
  while (true) {
    if (isDrgradePackage(dir)) return dir;
    const inRepo = join(dir, 'packages', 'drgrade');
    if (isDrgradePackage(inRepo)) return inRepo;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * Path of a bundled worker entry, `dist/workers/<name>.js` of the drgrade package (built from
 * src/workers/<name>.ts by scripts/build.mjs). DRGRADE_WORKER_DIR overrides the folder.
 */
export function workerScriptPath(name: string): string {
  const override = process.env.DRGRADE_WORKER_DIR;
  const dir = override ?? (drgradePackageDir() ? join(drgradePackageDir() as string, 'dist', 'workers') : null);
  const path = dir ? join(dir, `${name}.js`) : null;
  if (!path || !existsSync(path)) {
    throw new UserError(`worker script ${path ?? `dist/workers/${name}.js`} not found: run "npm run build" (or use --workers 0)`);
  }
  return path;
}
