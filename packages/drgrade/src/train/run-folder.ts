// The policy that keeps a run folder's results: training never goes over a finished or partial
// run unless asked. Resuming continues it; overwriting moves it aside (nothing is deleted);
// separate jobs of one run, a fold each (a SLURM array), share a folder whose config.json is theirs.
import { existsSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { sameConfig, type DrgradeConfig } from '../config/index.ts';
import { UserError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { RunProblemError } from './run-problems.ts';

export interface RunFolderRequest {
  config: DrgradeConfig;
  resume: boolean;
  overwrite: boolean;
  /** The folds this job trains; undefined: all of them. */
  folds?: readonly number[];
}

/** Files of a fold folder that hold training results. */
const FOLD_RESULTS = ['checkpoint-last.safetensors', 'model-best.safetensors', 'result.json'];

/** What in `out` belongs to an earlier run (relative paths): its config, its folds' results, its report. */
export function runArtefacts(out: string, folds?: readonly number[]): string[] {
  if (!existsSync(out)) return [];
  const found = ['config.json', 'report.html', 'report.json'].filter((f) => existsSync(join(out, f)));
  // fold-k: a cross-validation fold; final: the model trained on every image (TrainingRun.final).
  for (const name of readdirSync(out).filter((n) => /^(fold-\d+|final)$/.test(n)).sort()) {
    if (folds && !folds.some((f) => name === `fold-${f}`)) continue;
    found.push(...FOLD_RESULTS.map((f) => `${name}/${f}`).filter((f) => existsSync(join(out, f))));
  }
  return found;
}

function configText(config: DrgradeConfig): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Whether out/config.json describes exactly this configuration (a fold job of the same run). */
function sameRunConfig(out: string, config: DrgradeConfig): boolean {
  const file = join(out, 'config.json');
  try {
    return sameConfig(JSON.parse(readFileSync(file, 'utf8')), config, file);
  } catch {
    return false;
  }
}

/**
 * Refuses what would lose or mix results (a RunProblemError); writes nothing. Checked by
 * `drgrade train` before any work and again by runTraining (also called by tests and other programs).
 */
export function checkRunFolder(out: string, request: RunFolderRequest): void {
  const { config, resume, overwrite, folds } = request;
  if (resume && overwrite) throw new RunProblemError({ kind: 'resume-and-overwrite' });
  for (const f of folds ?? []) {
    if (!Number.isInteger(f) || f < 0 || f >= config.train.folds) throw new RunProblemError({ kind: 'fold-out-of-range', fold: f, folds: config.train.folds });
  }
  if (existsSync(out) && !statSync(out).isDirectory()) throw new RunProblemError({ kind: 'out-is-file', out });
  if (overwrite) return;
  const all = runArtefacts(out);
  if (all.length === 0) return;
  const hasConfig = all.includes('config.json');
  if (resume) {
    if (hasConfig && !sameRunConfig(out, config)) throw new RunProblemError({ kind: 'run-config-differs', file: join(out, 'config.json') });
    return;
  }
  // Fold jobs of one run: the folder's configuration is this one and these folds have no results yet.
  if (folds && hasConfig && sameRunConfig(out, config) && runArtefacts(out, folds).every((f) => !f.startsWith('fold-'))) return;
  throw new RunProblemError({ kind: 'run-exists', out, artefacts: all });
}

/**
 * Checks that every fold result (fold-k/result.json) under the given run or fold folders is
 * readable JSON, so `drgrade report` names a damaged one instead of failing inside the merge.
 */
export function checkFoldResults(dirs: readonly string[]): void {
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    const foldDirs = /^fold-\d+$/.test(basename(dir)) ? [dir] : readdirSync(dir).filter((n) => /^fold-\d+$/.test(n)).map((n) => join(dir, n));
    for (const fold of foldDirs) {
      const file = join(fold, 'result.json');
      if (!existsSync(file)) continue;
      let result: unknown;
      try { result = JSON.parse(readFileSync(file, 'utf8')); } catch (e) {
        throw new UserError(`${file}: the fold's result is damaged (${e instanceof Error ? e.message : String(e)}); move the fold folder away to leave it out, or train the fold again`);
      }
      if (typeof result !== 'object' || result === null || typeof (result as { fold?: unknown }).fold !== 'number' || typeof (result as { kappa?: unknown }).kappa !== 'number') {
        throw new UserError(`${file}: not a fold result (no fold and kappa); move the fold folder away to leave it out, or train the fold again`);
      }
    }
  }
}

/** `out.old-<UTC time>`, unused. */
function asideName(out: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let name = `${out}.old-${stamp}`;
  for (let i = 2; existsSync(name); i++) name = `${out}.old-${stamp}-${i}`;
  return name;
}

/**
 * checkRunFolder, then, when overwriting, renames a folder holding a run to `<out>.old-<time>`
 * (never deletes it). Returns the new place of the old run, or null.
 */
export function claimRunFolder(out: string, request: RunFolderRequest): string | null {
  checkRunFolder(out, request);
  if (!request.overwrite || runArtefacts(out).length === 0) return null;
  const aside = asideName(out);
  renameSync(out, aside);
  return aside;
}

/** Writes config.json once the inputs are validated, atomically; a fold job finds it already equal. */
export function writeRunConfig(out: string, config: DrgradeConfig): void {
  if (!sameRunConfig(out, config)) writeFileAtomic(join(out, 'config.json'), configText(config));
}
