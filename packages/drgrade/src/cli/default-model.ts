// The model `predict`, `gradcam` and `serve` use when none is named: the real-data model drgrade
// ships (models/drgrade-real.safetensors, with its card models/README.md).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../util/errors.ts';
import { drgradePackageDir } from '../util/worker-script.ts';

export const DEFAULT_MODEL = join('models', 'drgrade-real.safetensors');

function isMonorepo(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'drgrade-monorepo';
  } catch {
    return false;
  }
}

/**
 * Where the default model is looked for, in order: the drgrade package's own models/ (what an npm
 * install gets: packing copies the file in), then the models/ of the repository the package sits in
 * (a checkout). Never the user's working folder, so the default does not depend on where one runs.
 */
export function defaultModelCandidates(packageDir: string | null = drgradePackageDir()): string[] {
  if (!packageDir) return [];
  const repo = resolve(packageDir, '..', '..');
  return [join(packageDir, DEFAULT_MODEL), ...(isMonorepo(repo) ? [join(repo, DEFAULT_MODEL)] : [])];
}

/** The shipped default model's path, or null when none is installed (looked for as defaultModelCandidates says). */
export function shippedModelPath(packageDir: string | null = drgradePackageDir()): string | null {
  return defaultModelCandidates(packageDir).find((path) => existsSync(path)) ?? null;
}

export interface ModelChoice {
  path: string;
  /** True when no model was named and the shipped one is used. */
  isDefault: boolean;
}

/**
 * The model file a command uses: the one named by --`option` (relative to cwd), else the shipped
 * default. A missing default is a UserError saying where it was looked for and how to name one.
 */
export function chooseModel(named: string | undefined, option: string, cwd: string, packageDir?: string | null): ModelChoice {
  if (named !== undefined) return { path: resolve(cwd, named), isDefault: false };
  const dir = packageDir === undefined ? drgradePackageDir() : packageDir;
  const found = shippedModelPath(dir);
  if (found) return { path: found, isDefault: true };
  const candidates = defaultModelCandidates(dir);
  const where = candidates.length > 0 ? candidates.join(' or ') : `${DEFAULT_MODEL} (the drgrade package folder was not found)`;
  throw new UserError(`no model named and the default model is missing (looked for ${where}): name one with --${option} <model.safetensors>, e.g. a run's fold-0/model-best.safetensors`);
}

/** How the commands name the model in their output. */
export function describeChoice(choice: ModelChoice): string {
  return `${choice.path}${choice.isDefault ? ' (the default model)' : ''}`;
}
