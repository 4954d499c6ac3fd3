// Checkpoints. A training checkpoint (checkpoint-last.safetensors) holds the model, the
// optimiser's state tensors and, as JSON metadata, the scheduler, the epoch, the RNG states,
// the history and the best score so far — everything an interrupted run needs to end with the
// same weights as an uninterrupted one. A model file (model-best.safetensors) holds the weights
// and the configuration they were trained with: what `predict`, `eval`, `gradcam` and the
// browser page load. Both are written atomically (temporary file, then rename).
import { tensor, type Tensor } from '@drgrade/tensor';
import { decodeSafetensors, encodeSafetensors, type Optimizer, type Hyper, type LRScheduler, type OptimizerStateDict, type SchedulerStateDict } from '@drgrade/nn';
import { resolveConfig, PAPER, type DrgradeConfig } from '../config/index.ts';
import type { EpochRecord } from '../report/index.ts';
import { GradingModel } from './model.ts';

export const FORMAT = 'drgrade-1';

export interface TrainingState {
  epoch: number;
  fold: number;
  best: { kappa: number; epoch: number } | null;
  history: EpochRecord[];
  scheduler: SchedulerStateDict;
  rng: number[];
}

interface OptimMeta { paramGroups: OptimizerStateDict['paramGroups']; keys: [number, string, string][]; numbers: [number, string, number][] }

export async function encodeCheckpoint(model: GradingModel, optimizer: Optimizer<Hyper>, scheduler: LRScheduler, state: Omit<TrainingState, 'scheduler'>): Promise<Uint8Array> {
  const dict = new Map<string, Tensor>();
  for (const [k, v] of model.stateDict()) dict.set(`model.${k}`, v);
  const o = optimizer.stateDict();
  const meta: OptimMeta = { paramGroups: o.paramGroups, keys: [], numbers: [] };
  for (const [index, entries] of Object.entries(o.state)) {
    for (const [name, value] of Object.entries(entries)) {
      if (typeof value === 'number') meta.numbers.push([Number(index), name, value]);
      else { const key = `optim.${index}.${name}`; dict.set(key, value); meta.keys.push([Number(index), name, key]); }
    }
  }
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
  optimizer: OptimizerStateDict;
}

function readConfig(meta: Record<string, string>, source: string): DrgradeConfig {
  if (meta.format !== FORMAT) throw new Error(`${source}: not a drgrade model file (metadata format '${meta.format ?? 'missing'}', expected '${FORMAT}')`);
  let raw: unknown;
  try { raw = JSON.parse(meta.config ?? ''); } catch { throw new Error(`${source}: the embedded configuration is not valid JSON`); }
  return resolveConfig(PAPER, raw, `${source} (embedded configuration)`);
}

export function decodeCheckpoint(bytes: Uint8Array, source: string): LoadedCheckpoint {
  const file = decodeSafetensors(bytes, source);
  const meta = file.metadata;
  if (meta.kind !== 'checkpoint') throw new Error(`${source}: not a training checkpoint (kind '${meta.kind ?? 'missing'}')`);
  const config = readConfig(meta, source);
  const state = JSON.parse(meta.state ?? '{}') as TrainingState;
  const om = JSON.parse(meta.optimizer ?? '{}') as OptimMeta;
  const model = new Map<string, Tensor>();
  const host = new Map<string, Tensor>();
  for (const [name, entry] of file.tensors) {
    const t = tensor(entry.data, entry.shape, { dtype: entry.data instanceof Int32Array ? 'int32' : 'float32' });
    if (name.startsWith('model.')) model.set(name.slice(6), t); else host.set(name, t);
  }
  const optimState: Record<number, Record<string, Tensor | number>> = {};
  for (const [index, name, key] of om.keys) (optimState[index] ??= {})[name] = host.get(key)!;
  for (const [index, name, value] of om.numbers) (optimState[index] ??= {})[name] = value;
  return { config, state, model, optimizer: { paramGroups: om.paramGroups, state: optimState } };
}

/** The weights-only model file, with the configuration and a few facts about its training. */
export async function encodeModelFile(model: GradingModel, info: Record<string, number | string>): Promise<Uint8Array> {
  return encodeSafetensors(model.stateDict(), { format: FORMAT, kind: 'model', config: JSON.stringify(model.config), info: JSON.stringify(info) });
}

export interface LoadedModel {
  model: GradingModel;
  config: DrgradeConfig;
  info: Record<string, number | string>;
}

/** Reads a model file (or the model part of a training checkpoint) into an eval-mode model. */
export function decodeModelFile(bytes: Uint8Array, source: string): LoadedModel {
  const file = decodeSafetensors(bytes, source);
  const config = readConfig(file.metadata, source);
  const prefix = file.metadata.kind === 'checkpoint' ? 'model.' : '';
  const model = new GradingModel(config);
  const dict = new Map<string, Tensor>();
  for (const [name, entry] of file.tensors) {
    if (prefix && !name.startsWith(prefix)) continue;
    dict.set(name.slice(prefix.length), tensor(entry.data, entry.shape, { dtype: entry.data instanceof Int32Array ? 'int32' : 'float32' }));
  }
  model.loadStateDict(dict, { strict: true });
  for (const t of dict.values()) t.dispose();
  model.eval();
  let info: Record<string, number | string> = {};
  try { info = JSON.parse(file.metadata.info ?? '{}') as Record<string, number | string>; } catch { info = {}; }
  return { model, config, info };
}
