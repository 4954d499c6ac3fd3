// An optimiser's state by parameter name instead of by index (Optimizer.stateDict, PyTorch's
// layout): what a training checkpoint stores, so that it resumes where the same model's large
// weights are held in another number of row shards (row-shards.ts: a GPU binds more memory per
// tensor than CPU adapters and browsers, so one Linear weight is one parameter there and several
// here, and indices shift). Each state tensor is named `<state key>.<parameter name>`, a shard's
// after its shard (`exp_avg.fc.weight:0`), so files join and split it exactly as the weights.
import { noGrad, tidy, type Tensor } from '@drgrade/tensor';
import { groupShards, parseShardName, rowsOf } from '../row-shards.ts';
import type { Hyper, Optimizer, OptimizerStateDict, ParamState, SavedGroup } from './optimizer.ts';

/** A parameter group: its hyper-parameters and its parameters' whole names, in order. */
export interface NamedGroup {
  params: string[];
  hyper: Omit<SavedGroup, 'params'>;
}

export interface NamedOptimizerState {
  /** State tensors by `<state key>.<parameter name>` (the optimiser's own tensors, not copies). */
  tensors: Map<string, Tensor>;
  groups: NamedGroup[];
  /** Per-parameter numbers (step counts): [whole parameter name, state key, value]. */
  numbers: [string, string, number][];
}

const wholeName = (name: string): string => parseShardName(name)?.name ?? name;

/** Each optimised tensor's name among `params` (a module's namedParameters()); throws for one that is not there. */
function namesOf(optimizer: Optimizer<Hyper>, params: Iterable<[string, Tensor]>): Map<Tensor, string> {
  const byTensor = new Map<Tensor, string>();
  for (const [name, t] of params) byTensor.set(t, name);
  for (const g of optimizer.paramGroups) {
    for (const p of g.params) if (!byTensor.has(p)) throw new Error(`${optimizer.constructor.name}: ${p.describe()} is not among the named parameters given`);
  }
  return byTensor;
}

/** The optimiser's state by the names `params` (a module's namedParameters()) give its parameters. */
export function namedOptimizerState(optimizer: Optimizer<Hyper>, params: Iterable<[string, Tensor]>): NamedOptimizerState {
  const names = namesOf(optimizer, params);
  const flat = optimizer.paramGroups.flatMap((g) => g.params);
  const { state, paramGroups } = optimizer.stateDict();
  const tensors = new Map<string, Tensor>();
  const numbers = new Map<string, [string, string, number]>();
  for (const [index, entries] of Object.entries(state)) {
    const name = names.get(flat[Number(index)]!)!;
    for (const [key, value] of Object.entries(entries)) {
      if (key.includes('.')) throw new Error(`${optimizer.constructor.name}: state key '${key}' contains '.', which names cannot carry`);
      // A weight's shards step together, so their numbers agree: one entry for the whole weight.
      if (typeof value === 'number') numbers.set(`${key}.${wholeName(name)}`, [wholeName(name), key, value]);
      else tensors.set(`${key}.${name}`, value);
    }
  }
  const groups = paramGroups.map(({ params: indices, ...hyper }) => ({
    params: [...new Set(indices.map((i) => wholeName(names.get(flat[i]!)!)))],
    hyper,
  }));
  return { tensors, groups, numbers: [...numbers.values()] };
}

/**
 * Restores `state` (from namedOptimizerState, possibly through a file and with its weights split
 * another way) into `optimizer`, whose parameters `params` (a module's namedParameters()) names.
 * The groups must hold the same parameters by whole name and each state tensor the whole
 * parameter's shape; every row block of this optimiser's parameters takes its rows from the
 * state's blocks. The state's tensors are copied (the caller still owns them).
 */
export function loadNamedOptimizerState(optimizer: Optimizer<Hyper>, params: Iterable<[string, Tensor]>, state: NamedOptimizerState): void {
  const who = `${optimizer.constructor.name}: the saved state`;
  const names = namesOf(optimizer, params);
  // Where each of this optimiser's tensors sits in its whole parameter.
  const own = groupShards([...names].map(([t, n]) => [n, t] as [string, Tensor]), (t) => t.shape);
  const place = new Map<Tensor, { name: string; row: number }>();
  for (const [name, entry] of own) for (const part of entry.parts) place.set(part.value, { name, row: part.row });
  const saved = groupShards(state.tensors, (t) => t.shape);
  const keysOf = new Map<string, string[]>();
  for (const key of saved.keys()) {
    const dot = key.indexOf('.');
    const name = key.slice(dot + 1);
    if (dot < 0 || !own.has(name)) throw new Error(`${who} has '${key}', which names no parameter of this model`);
    if (saved.get(key)!.shape.join(',') !== own.get(name)!.shape.join(',')) {
      throw new Error(`${who} has '${key}' of shape [${saved.get(key)!.shape.join(', ')}], the parameter is [${own.get(name)!.shape.join(', ')}]`);
    }
    keysOf.set(name, [...keysOf.get(name) ?? [], key.slice(0, dot)]);
  }
  if (state.groups.length !== optimizer.paramGroups.length) throw new Error(`${who} has ${state.groups.length} parameter group(s), this optimiser ${optimizer.paramGroups.length}`);
  const numbersOf = new Map<string, [string, number][]>();
  for (const [name, key, value] of state.numbers) {
    if (!own.has(name)) throw new Error(`${who} has ${key} ${value} for '${name}', which names no parameter of this model`);
    numbersOf.set(name, [...numbersOf.get(name) ?? [], [key, value]]);
  }
  tidy(() => noGrad(() => {
    const dict: OptimizerStateDict = { state: {}, paramGroups: [] };
    let index = 0;
    optimizer.paramGroups.forEach((g, i) => {
      const here = [...new Set(g.params.map((p) => place.get(p)!.name))];
      const there = state.groups[i]!.params;
      const differ = here.find((n) => !there.includes(n)) ?? there.find((n) => !here.includes(n));
      if (differ !== undefined) throw new Error(`${who}'s group ${i} and this optimiser's differ in '${differ}' (${there.length} and ${here.length} parameter(s))`);
      const ids: number[] = [];
      for (const p of g.params) {
        const { name, row } = place.get(p)!;
        const s: ParamState = {};
        for (const key of keysOf.get(name) ?? []) s[key] = rowsOf(saved.get(`${key}.${name}`)!, row, p.shape, p.dtype);
        for (const [key, value] of numbersOf.get(name) ?? []) s[key] = value;
        if (Object.keys(s).length > 0) dict.state[index] = s;
        ids.push(index++);
      }
      dict.paramGroups.push({ ...state.groups[i]!.hyper, params: ids });
    });
    // loadStateDict copies what it is given, so the row views made here go with this scope.
    optimizer.loadStateDict(dict);
  }));
}
