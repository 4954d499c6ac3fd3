// Where a run's figures come from: its configuration, seed, drgrade version, when the report was
// written, on which adapter, and a fingerprint of the labels and folds it was scored on.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DRGRADE_VERSION } from '../version.ts';
import type { FoldResult } from './summary.ts';

export interface Provenance {
  /** The run folder's config.json; null if it has none. */
  config: Record<string, unknown> | null;
  seed: number | null;
  drgradeVersion: string;
  /** When this report was written (ISO 8601, UTC). */
  date: string;
  adapter: string;
  /** SHA-256 (hex) of `of`; null when the run holds neither predictions nor folds.csv. */
  fingerprint: { sha256: string; of: string } | null;
  /**
   * Of the folds whose result.json says (`kernels`), how many ran on kernel choices fixed
   * throughout, which a rerun with the same seed, data and decisions repeats bit for bit, and
   * whether the autotuner was on; null when no fold says (runs of older versions).
   */
  kernels: { repeatable: number; of: number; autotune: 'on' | 'off' | 'mixed' } | null;
}

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** The run folder of a run folder or of one of its fold-k folders. */
const runFolder = (dir: string): string => (basename(dir).startsWith('fold-') ? join(dir, '..') : dir);

/**
 * SHA-256 of the lines `id,grade,fold` of every out-of-fold prediction, sorted (as `LC_ALL=C sort`
 * sorts ASCII ids), each ending in a newline: equal exactly when two runs scored the same images
 * with the same labels split into the same folds. Null unless every fold has its predictions.
 */
export function labelsAndFoldsFingerprint(folds: FoldResult[]): string | null {
  if (folds.length === 0 || folds.some((f) => !f.predictions?.length)) return null;
  const lines = folds.flatMap((f) => f.predictions!.map((p) => `${p.id},${p.grade},${f.fold}\n`));
  return sha256(lines.sort().join(''));
}

function kernelChoices(folds: FoldResult[]): Provenance['kernels'] {
  const told = folds.flatMap((f) => (f.kernels ? [f.kernels] : []));
  if (told.length === 0) return null;
  const on = told.filter((k) => k.autotune).length;
  return { repeatable: told.filter((k) => k.timed === 0).length, of: told.length, autotune: on === told.length ? 'on' : on === 0 ? 'off' : 'mixed' };
}

export function readProvenance(dirs: string[], folds: FoldResult[], adapter: string): Provenance {
  const runs = dirs.map(runFolder);
  const configPath = runs.map((d) => join(d, 'config.json')).find((p) => existsSync(p));
  const config = configPath ? JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown> : null;
  const fromPredictions = labelsAndFoldsFingerprint(folds);
  const foldsCsv = runs.map((d) => join(d, 'folds.csv')).find((p) => existsSync(p));
  const fingerprint = fromPredictions ? { sha256: fromPredictions, of: 'sorted "id,grade,fold" lines of the out-of-fold predictions' }
    : foldsCsv ? { sha256: sha256(readFileSync(foldsCsv)), of: 'folds.csv (ids and folds, without grades: the folds lack predictions)' } : null;
  return {
    config, seed: typeof config?.seed === 'number' ? config.seed : null, drgradeVersion: DRGRADE_VERSION,
    date: new Date().toISOString(), adapter, fingerprint, kernels: kernelChoices(folds),
  };
}
