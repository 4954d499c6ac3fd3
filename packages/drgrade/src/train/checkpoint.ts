// Checkpoints. A training checkpoint (checkpoint-last.safetensors) holds the model, the
// optimiser's state tensors and, as JSON metadata, the scheduler, the epoch, the RNG states,
// the history and the best score so far — everything an interrupted run needs to end with the
// same weights as an uninterrupted one. A model file (model-best.safetensors) holds the weights
// and the configuration they were trained with: what `predict`, `eval`, `gradcam` and the
// browser page load. Both are written atomically (temporary file, then rename).
import type { Tensor } from '@drgrade/tensor';
import { decodeSafetensors, deviceTensors, groupShards, encodeSafetensors, encodeSafetensorsHost, namedOptimizerState, SafetensorsError, type HostTensor, type Optimizer, type Hyper, type GradScalerState, type LRScheduler, type NamedOptimizerState, type SchedulerStateDict, type WeightAverageState } from '@drgrade/nn';
import { resolveConfig, PAPER, type DrgradeConfig } from '../config/index.ts';
import { UserError, errorMessage } from '../util/errors.ts';
import type { EpochRecord } from '../report/index.ts';
import { GradingEnsemble, type Grader } from './ensemble.ts';
import { cardSummary, type CardSummary } from './model-card.ts';
import { GradingModel } from './model.ts';
import { RunProblemError } from './run-problems.ts';

export const FORMAT = 'drgrade-1';

export interface TrainingState {
  epoch: number;
  fold: number;
  best: { kappa: number; epoch: number } | null;
  history: EpochRecord[];
  scheduler: SchedulerStateDict;
  rng: number[];
  /** The loss scale's state, in mixed precision (train.precision). */
  scaler?: GradScalerState;
  /** Shape classes the autotuner timed while this fold trained, over every process that ran it (absent in older checkpoints). */
  kernelsTimed?: number;
  /** The weight average's update count (train.ema); its weights are the checkpoint's `ema.*` tensors. */
  ema?: WeightAverageState;
}

/**
 * The optimiser's metadata. Its state tensors are `optim.<state key>.<parameter name>`, joined
 * and split with the weights, so a checkpoint resumes whatever row shards this adapter needs.
 */
interface OptimMeta { groups: NamedOptimizerState['groups']; numbers: NamedOptimizerState['numbers'] }

/** A training checkpoint's bytes; `averaged` is the moving average of the weights (train.ema), when the run keeps one. */
export async function encodeCheckpoint(model: GradingModel, optimizer: Optimizer<Hyper>, scheduler: LRScheduler, state: Omit<TrainingState, 'scheduler'>, averaged: GradingModel | null = null): Promise<Uint8Array> {
  const dict = new Map<string, Tensor>();
  for (const [k, v] of model.stateDict()) dict.set(`model.${k}`, v);
  for (const [k, v] of averaged?.stateDict() ?? []) dict.set(`ema.${k}`, v);
  const named = namedOptimizerState(optimizer, model.namedParameters());
  for (const [k, v] of named.tensors) dict.set(`optim.${k}`, v);
  const meta: OptimMeta = { groups: named.groups, numbers: named.numbers };
  return encodeSafetensors(dict, {
    format: FORMAT,
    kind: 'checkpoint',
    config: JSON.stringify(model.config),
    state: JSON.stringify({ ...state, scheduler: scheduler.stateDict() }),
    optimizer: JSON.stringify(meta),
  });
}

export interface LoadedCheckpoint {
  config: DrgradeConfig;
  state: TrainingState;
  model: Map<string, Tensor>;
  /** The moving average's weights (train.ema); empty when the run keeps none. */
  ema: Map<string, Tensor>;
  optimizer: NamedOptimizerState;
}

function readConfig(meta: Record<string, string>, source: string): DrgradeConfig {
  if (meta.format !== FORMAT) throw new UserError(`${source}: not a drgrade model file (metadata format '${meta.format ?? 'missing'}', expected '${FORMAT}')`);
  return resolveConfig(PAPER, readJson(meta, 'config', source), `${source} (embedded configuration)`);
}

function readJson(meta: Record<string, string>, key: string, source: string): unknown {
  try { return JSON.parse(meta[key] ?? ''); } catch { throw new UserError(`${source}: the embedded ${key} metadata is missing or not valid JSON`); }
}

const FLOAT_DTYPES: ReadonlySet<string> = new Set(['F32', 'F16', 'BF16', 'F64']);

/**
 * Refuses weights no trained model holds, naming the tensor: integers where the architecture has
 * floating point (they would be converted and graded with, silently), another shape, NaN or
 * infinity (a diverged run or a damaged file). `expected` is the architecture's state dict, when
 * known; checkpoints are checked against it when the trainer loads them.
 */
/** A state dict's tensors by whole name (row shards joined, as files hold them): shape and dtype. */
function wholeTensors(dict: Map<string, Tensor>): Map<string, { shape: number[]; dtype: Tensor['dtype'] }> {
  const out = new Map<string, { shape: number[]; dtype: Tensor['dtype'] }>();
  for (const [name, { shape, parts }] of groupShards(dict, (t) => t.shape)) out.set(name, { shape, dtype: parts[0]!.value.dtype });
  return out;
}

function checkTensors(tensors: Map<string, HostTensor>, source: string, expected?: Map<string, { shape: readonly number[]; dtype: Tensor['dtype'] }>): void {
  if (expected) {
    const missing = [...expected.keys()].filter((k) => !tensors.has(k));
    const extra = [...tensors.keys()].filter((k) => !expected.has(k));
    if (missing.length || extra.length) {
      const list = (names: string[]): string => `${names.slice(0, 3).join(', ')}${names.length > 3 ? `, ... (${names.length})` : ''}`;
      throw new UserError(`${source}: the weights do not match the architecture of its configuration (${[missing.length ? `missing ${list(missing)}` : '', extra.length ? `unexpected ${list(extra)}` : ''].filter(Boolean).join('; ')})`);
    }
  }
  for (const [name, entry] of tensors) {
    const own = expected?.get(name);
    if (own) {
      if (own.shape.join(',') !== entry.shape.join(',')) throw new UserError(`${source}: tensor '${name}' has shape [${entry.shape.join(', ')}], the architecture expects [${own.shape.join(', ')}]`);
      if (own.dtype === 'float32' && !FLOAT_DTYPES.has(entry.sourceDtype)) throw new UserError(`${source}: tensor '${name}' is stored as ${entry.sourceDtype}, the architecture expects floating point (F32)`);
      if (own.dtype === 'int32' && FLOAT_DTYPES.has(entry.sourceDtype)) throw new UserError(`${source}: tensor '${name}' is stored as ${entry.sourceDtype}, the architecture expects integers (I64 or I32)`);
    }
    if (!(entry.data instanceof Float32Array)) continue;
    let bad = 0;
    let first = -1;
    for (let i = 0; i < entry.data.length; i++) {
      if (!Number.isFinite(entry.data[i] as number)) { bad++; if (first < 0) first = i; }
    }
    if (bad > 0) throw new UserError(`${source}: tensor '${name}' holds ${bad} non-finite value(s) (${entry.data[first]} at element ${first}): the file is damaged or its training diverged`);
  }
}

/** decodeSafetensors with its errors as UserErrors (a damaged file is the user's data, not a bug). */
function readSafetensors(bytes: Uint8Array, source: string): ReturnType<typeof decodeSafetensors> {
  try { return decodeSafetensors(bytes, source); } catch (e) {
    if (e instanceof SafetensorsError) throw new UserError(errorMessage(e));
    throw e;
  }
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): LoadedCheckpoint {
  try {
    return decodeCheckpointFile(bytes, source);
  } catch (e) {
    if (e instanceof UserError) throw new RunProblemError({ kind: 'checkpoint-unreadable', reason: e.message });
    throw e;
  }
}

function decodeCheckpointFile(bytes: Uint8Array, source: string): LoadedCheckpoint {
  const file = readSafetensors(bytes, source);
  const meta = file.metadata;
  if (meta.kind !== 'checkpoint') throw new UserError(`${source}: not a training checkpoint (kind '${meta.kind ?? 'missing'}')`);
  const config = readConfig(meta, source);
  const state = readJson(meta, 'state', source) as TrainingState;
  const om = readJson(meta, 'optimizer', source) as Partial<OptimMeta> & { keys?: unknown } | null;
  if (om?.keys !== undefined) {
    // Before 2026-12-06 the state was kept by parameter index, which shifts with row shards.
    throw new UserError(`${source}: written by an earlier drgrade, which kept the optimiser's state by parameter index; it cannot be resumed (its weights still load as a model: drgrade eval --checkpoint)`);
  }
  if (!Array.isArray(om?.groups) || !Array.isArray(om.numbers) || typeof state?.epoch !== 'number') {
    throw new UserError(`${source}: the embedded training state is incomplete`);
  }
  checkTensors(file.tensors, source);
  const model = new Map<string, Tensor>();
  const ema = new Map<string, Tensor>();
  const stray = [...file.tensors.keys()].find((k) => !/^(model|ema|optim)\./.test(k));
  if (stray !== undefined) throw new UserError(`${source}: tensor '${stray}' belongs to no part of a checkpoint (model., ema. or optim.)`);
  const optim = new Map<string, Tensor>();
  for (const [key, entry] of file.tensors) {
    for (const [name, t] of deviceTensors(key, entry.data, entry.shape)) {
      if (name.startsWith('model.')) model.set(name.slice(6), t);
      else if (name.startsWith('ema.')) ema.set(name.slice(4), t);
      else optim.set(name.slice(6), t);
    }
  }
  return { config, state, model, ema, optimizer: { tensors: optim, groups: om.groups, numbers: om.numbers } };
}

/** The weights-only model file, with the configuration and a few facts about its training. */
export async function encodeModelFile(model: GradingModel, info: Record<string, number | string>): Promise<Uint8Array> {
  return encodeSafetensors(model.stateDict(), { format: FORMAT, kind: 'model', config: JSON.stringify(model.config), info: JSON.stringify(info) });
}

export interface LoadedModel {
  model: Grader;
  config: DrgradeConfig;
  info: Record<string, number | string>;
  /** The key figures of a shipped model's card (metadata `card`), or null. */
  card: CardSummary | null;
}

/**
 * The seeds of an ensemble model file's members (metadata `ensemble`: { seeds, members }, the
 * members' tensors under members.0., members.1., ...), or null for a file of one model.
 */
function ensembleSeeds(meta: Record<string, string>, source: string): number[] | null {
  if (meta.ensemble === undefined) return null;
  const seeds = (readJson(meta, 'ensemble', source) as { seeds?: unknown } | null)?.seeds;
  if (!Array.isArray(seeds) || seeds.length < 2 || !seeds.every((s) => Number.isInteger(s))) {
    throw new UserError(`${source}: the embedded ensemble metadata has no list of two or more integer seeds`);
  }
  return seeds as number[];
}

/** Reads a model file (one model or an ensemble, or the model part of a training checkpoint) into an eval-mode model. */
export function decodeModelFile(bytes: Uint8Array, source: string): LoadedModel {
  const file = readSafetensors(bytes, source);
  const config = readConfig(file.metadata, source);
  const prefix = file.metadata.kind === 'checkpoint' ? 'model.' : '';
  const weights = new Map<string, HostTensor>();
  for (const [name, entry] of file.tensors) if (!prefix || name.startsWith(prefix)) weights.set(name.slice(prefix.length), entry);
  const seeds = prefix ? null : ensembleSeeds(file.metadata, source);
  const model = seeds ? new GradingEnsemble(config, seeds) : new GradingModel(config);
  try {
    checkTensors(weights, source, wholeTensors(model.stateDict()));
  } catch (e) {
    model.dispose();
    throw e;
  }
  const dict = new Map<string, Tensor>();
  for (const [key, entry] of weights) for (const [name, t] of deviceTensors(key, entry.data, entry.shape)) dict.set(name, t);
  model.loadStateDict(dict, { strict: true });
  for (const t of dict.values()) t.dispose();
  model.eval();
  let info: Record<string, number | string> = {};
  try { info = JSON.parse(file.metadata.info ?? '{}') as Record<string, number | string>; } catch { info = {}; }
  return { model, config, info, card: cardSummary(file.metadata) };
}

/** The first dotted path where two JSON values differ, or null when they are equal. */
function firstDifference(a: unknown, b: unknown, path = ''): string | null {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], path ? `${path}.${key}` : key);
      if (d !== null) return d;
    }
    return null;
  }
  return a === b ? null : path || '(the whole configuration)';
}

/** One network of an ensemble being written: its tensors, configuration and training facts. */
interface EnsembleMember {
  source: string;
  tensors: Map<string, HostTensor>;
  config: DrgradeConfig;
  info: Record<string, number | string>;
  /** The configuration as embedded JSON (written as the ensemble's when this member comes first). */
  embedded: string;
}

/**
 * The networks of one model file: the model itself, or each member of an ensemble file (whose
 * members share its configuration but the seed), so that an ensemble can be grown by a seed.
 */
function ensembleMembers(bytes: Uint8Array, source: string): EnsembleMember[] {
  const file = readSafetensors(bytes, source);
  const meta = file.metadata;
  if (meta.kind !== 'model') throw new UserError(`${source}: not a model file (kind '${meta.kind ?? 'missing'}'); give the model-best.safetensors that drgrade train writes`);
  const config = readConfig(meta, source);
  const info = readJson(meta, 'info', source) as Record<string, number | string>;
  const seeds = ensembleSeeds(meta, source);
  if (!seeds) return [{ source, tensors: file.tensors, config, info, embedded: meta.config as string }];
  const infos = (readJson(meta, 'ensemble', source) as { members?: unknown }).members;
  return seeds.map((seed, i) => {
    const prefix = `members.${i}.`;
    const tensors = new Map<string, HostTensor>();
    for (const [name, t] of file.tensors) if (name.startsWith(prefix)) tensors.set(name.slice(prefix.length), t);
    const memberInfo = Array.isArray(infos) && infos[i] !== null && typeof infos[i] === 'object' ? infos[i] as Record<string, number | string> : { fold: info.fold ?? 'unknown' };
    return { source: `${source} (member ${i}, seed ${seed})`, tensors, config: { ...config, seed }, info: memberInfo, embedded: JSON.stringify({ ...readJson(meta, 'config', source) as object, seed }) };
  });
}

/**
 * Joins model files of one recipe, trained apart with different seeds, into one ensemble model file
 * (see GradingEnsemble). The members must be drgrade model files of the same configuration, seed,
 * name and description aside, trained on the same images (the same fold, or all of them), each with
 * its own seed; an ensemble file given as a member adds each of its members. The file keeps the
 * first member's configuration and every member's training facts.
 */
export function encodeEnsembleFile(files: readonly { bytes: Uint8Array; source: string }[]): Uint8Array {
  const members = files.flatMap(({ bytes, source }) => ensembleMembers(bytes, source));
  if (members.length < 2) throw new UserError(`an ensemble joins two or more models; ${members.length} given`);
  const first = members[0]!;
  const recipe = ({ seed: _s, name: _n, description: _d, ...rest }: DrgradeConfig): unknown => rest;
  const seeds = new Map<number, string>([[first.config.seed, first.source]]);
  for (const m of members.slice(1)) {
    const field = firstDifference(recipe(first.config), recipe(m.config));
    if (field !== null) throw new UserError(`${m.source}: its configuration differs from ${first.source}'s in ${field}; an ensemble's members share one recipe and differ only in seed`);
    if (m.info.fold !== first.info.fold) throw new UserError(`${m.source}: trained on ${foldImages(m.info.fold)}, ${first.source} on ${foldImages(first.info.fold)}; an ensemble's members are trained on the same images`);
    const twin = seeds.get(m.config.seed);
    if (twin !== undefined) throw new UserError(`${m.source}: seed ${m.config.seed}, as ${twin}; train the members with different seeds (--set seed=N)`);
    seeds.set(m.config.seed, m.source);
  }
  const tensors = new Map<string, HostTensor>();
  for (const [i, m] of members.entries()) for (const [name, t] of m.tensors) tensors.set(`members.${i}.${name}`, t);
  return encodeSafetensorsHost(tensors, {
    format: FORMAT,
    kind: 'model',
    config: first.embedded,
    info: JSON.stringify({ fold: first.info.fold ?? 'unknown', members: members.length }),
    ensemble: JSON.stringify({ seeds: members.map((m) => m.config.seed), members: members.map((m) => m.info) }),
  });
}

function foldImages(fold: number | string | undefined): string {
  return fold === -1 ? 'every image (train --final)' : `fold ${fold ?? '(unknown)'}'s training images`;
}
