// A cross-validated training run: the data set (or a fresh synthetic one), folds written to
// folds.csv, the preprocessing cache, the folds asked for, and the report over finished folds.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { deviceInfo } from '@drgrade/tensor';
import type { DrgradeConfig } from '../config/index.ts';
import { preprocessOptions } from '../config/runtime.ts';
import { readFoldsFile, stratifiedGroupKFold, writeFoldsFile, type FoldAssignment } from '../data/folds.ts';
import { preprocessItems } from '../data/preprocess-dataset.ts';
import { formatProblems } from '../data/problem-list.ts';
import { readDataset } from '../data/read-dataset.ts';
import { hasErrors, type DatasetFormat, type DataItem } from '../data/types.ts';
import { summarize, type FoldResult, type RunSummary } from '../report/index.ts';
import { readProvenance } from '../report/provenance.ts';
import { writeReportFiles } from '../report/write-files.ts';
import { writeSyntheticDataset } from '../synth/write-dataset.ts';
import { UserError } from '../util/errors.ts';
import type { ProgressStream } from '../util/progress.ts';
import { claimRunFolder, writeRunConfig } from './run-folder.ts';
import { RunProblemError } from './run-problems.ts';
import { readFoldResult, trainFold } from './trainer.ts';

export interface TrainingRun {
  config: DrgradeConfig;
  /** Data-set folder; without it a synthetic data set is generated in the run folder. */
  data?: string;
  format?: DatasetFormat | 'auto';
  out: string;
  /** Folds to train (0-based); default all. */
  folds?: number[];
  /** Train one model on every image instead of folds (into <out>/final): the model a project ships. */
  final?: boolean;
  foldsFile?: string;
  cache?: string;
  resume?: boolean;
  /** Move a run already in `out` aside (to `<out>.old-<time>`) instead of refusing to start. */
  overwrite?: boolean;
  pretrained?: string;
  skipBad?: boolean;
  synthetic?: { n: number; size: number; seed: number };
  log: ProgressStream;
  workers?: number;
  /** Stop each fold after this many epochs in this call (tests of interrupted runs). */
  maxEpochsThisRun?: number;
}

/** Folder (inside the run folder) of the model trained on every image. */
export const FINAL_DIR = 'final';

export const SYNTHETIC_DEFAULT = { n: 500, size: 256, seed: 1 };

async function dataset(run: TrainingRun): Promise<{ root: string; name: string; items: DataItem[] }> {
  let root = run.data ? resolve(run.data) : join(run.out, 'synthetic-data');
  if (!run.data) {
    const s = run.synthetic ?? SYNTHETIC_DEFAULT;
    if (!existsSync(join(root, 'drgrade-synth.json'))) {
      run.log.write(`no data set given: generating a synthetic data set of ${s.n} images (${s.size} px, seed ${s.seed}) in ${root}\n`);
      await writeSyntheticDataset(root, { n: s.n, size: s.size, seed: s.seed, quality: 92, ...(run.workers !== undefined ? { workers: run.workers } : {}) }, run.log);
    }
  }
  const ds = readDataset(root, run.format ?? 'auto');
  root = ds.root;
  if (ds.problems.length) run.log.write(formatProblems(ds.problems, 50));
  if (hasErrors(ds.problems) && !run.skipBad) throw new RunProblemError({ kind: 'dataset-errors', root });
  if (ds.items.length === 0) throw new UserError(`${root}: no labelled images found`);
  return { root, name: run.data ? `${basename(root)} (${ds.format}, ${ds.items.length} images)` : `synthetic (${ds.items.length} images)`, items: ds.items };
}

function assignFolds(run: TrainingRun, items: DataItem[]): FoldAssignment {
  const k = run.config.train.folds;
  const own = join(run.out, 'folds.csv');
  const file = run.foldsFile ?? (existsSync(own) ? own : null);
  if (file) {
    const { folds, problems } = readFoldsFile(file, items);
    if (problems.length) run.log.write(formatProblems(problems));
    if (hasErrors(problems)) throw new RunProblemError({ kind: 'folds-file-errors', file });
    const used = new Set(folds.values());
    if (used.size !== k) throw new RunProblemError({ kind: 'folds-file-count', file, found: used.size, expected: k });
    if (file !== own) writeFoldsFile(own, folds);
    return folds;
  }
  const folds = stratifiedGroupKFold(items, k, run.config.seed);
  writeFoldsFile(own, folds);
  return folds;
}

/** Runs the requested folds; returns the summary over every finished fold in the run folder. */
export async function runTraining(run: TrainingRun): Promise<RunSummary> {
  const cfg = run.config;
  const aside = claimRunFolder(run.out, { config: cfg, resume: run.resume ?? false, overwrite: run.overwrite ?? false, ...(run.folds ? { folds: run.folds } : {}) });
  if (aside) run.log.write(`the previous run in ${run.out} was moved to ${aside}\n`);
  const { root, name, items } = await dataset(run);
  const folds = assignFolds(run, items);
  const preprocess = preprocessOptions(cfg);
  const cacheDir = run.cache ? resolve(run.cache) : join(run.out, 'cache', `${cfg.data.imageSize}-${JSON.stringify(preprocess).replace(/[^a-z0-9.]+/gi, '_')}`);
  const cached = await preprocessItems(root, items, cacheDir, { options: preprocess, imageFormat: 'png', quality: 92, ...(run.workers !== undefined ? { workers: run.workers } : {}) }, run.log, 'preprocessing cache');
  if (cached.failures.length) {
    run.log.write(formatProblems(cached.failures));
    if (!run.skipBad) throw new RunProblemError({ kind: 'undecodable-images' });
  }
  const train = (fold: number | null, dir: string): Promise<unknown> => trainFold({
    config: cfg, items: cached.items, folds, fold, dir: join(run.out, dir), resume: run.resume ?? false, preprocessed: true,
    log: run.log, ...(run.pretrained ? { pretrained: run.pretrained } : {}), ...(run.workers !== undefined ? { workers: run.workers } : {}),
    ...(run.maxEpochsThisRun !== undefined ? { maxEpochsThisRun: run.maxEpochsThisRun } : {}),
  });
  writeRunConfig(run.out, cfg);
  if (run.final) await train(null, FINAL_DIR);
  const toRun = run.final ? [] : run.folds ?? Array.from({ length: cfg.train.folds }, (_, i) => i);
  for (const fold of toRun) await train(fold, `fold-${fold}`);
  return writeReport([run.out], join(run.out, 'report.html'), name);
}

/** Finished fold results under run folders (each a run folder or a fold-k folder). */
export function collectFolds(dirs: string[]): { results: FoldResult[]; config: string } {
  const results: FoldResult[] = [];
  let config = '';
  for (const d of dirs) {
    const dir = resolve(d);
    if (!existsSync(dir)) throw new UserError(`${dir}: no such run folder`);
    const foldDirs = basename(dir).startsWith('fold-') ? [dir] : readdirSync(dir).filter((n) => /^fold-\d+$/.test(n)).map((n) => join(dir, n));
    for (const fd of foldDirs) {
      const r = readFoldResult(fd);
      if (r) results.push(r);
    }
    const cfgPath = join(basename(dir).startsWith('fold-') ? join(dir, '..') : dir, 'config.json');
    if (!config && existsSync(cfgPath)) config = (JSON.parse(readFileSync(cfgPath, 'utf8')) as { name?: string }).name ?? '';
  }
  const seen = new Set<number>();
  for (const r of results) {
    if (seen.has(r.fold)) throw new UserError(`fold ${r.fold} appears in more than one of the given run folders`);
    seen.add(r.fold);
  }
  return { results, config };
}

/** Merges finished folds into a self-contained report.html, report.json beside it and predictions.csv. */
export async function writeReport(dirs: string[], htmlPath: string, dataset: string): Promise<RunSummary> {
  const { results, config } = collectFolds(dirs);
  // The adapters the folds trained on: a report merged later, or on another machine, must not
  // name the machine it was merely written on.
  const trainedOn = [...new Set(results.map((r) => r.adapter).filter((a): a is string => a !== undefined))];
  const adapter = trainedOn.length ? trainedOn.join(' + ') : `${(await deviceInfo()).name} (where this report was written; the folds did not record theirs)`;
  const summary = summarize(config, dataset, adapter, results, readProvenance(dirs, results, adapter));
  writeReportFiles(htmlPath, summary);
  return summary;
}
