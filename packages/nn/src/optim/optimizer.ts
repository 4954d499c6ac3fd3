// The optimiser base: parameter groups with their own hyper-parameters, per-parameter state,
// zeroGrad, and a state dict in PyTorch's layout (state by parameter index, groups with indices).
import { keep, noGrad, tidy, type Tensor } from '@drgrade/tensor';

/** A group's hyper-parameters; every optimiser has at least a learning rate. */
export interface Hyper {
  lr: number;
}

/** Parameters with their own hyper-parameters (missing ones take the optimiser's defaults). */
export type ParamGroupInput<H extends Hyper> = Partial<H> & { params: Tensor[] };

export type ParamGroup<H extends Hyper> = H & {
  params: Tensor[];
  /** The learning rate schedulers scale (set by the first scheduler, as PyTorch's initial_lr). */
  initialLr?: number;
};

/** What an optimiser keeps per parameter: tensors (moment estimates) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

/**
 * PyTorch's optimizer.state_dict() layout: `state[i]` for the i-th parameter counted across the
 * groups in order, and each group's hyper-parameters with `params` as those indices. The tensors
 * are the optimiser's own (no copies).
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: SavedGroup[];
}

export interface SavedGroup {
  params: number[];
  [hyper: string]: number | boolean | number[];
}

export abstract class Optimizer<H extends Hyper> {
  readonly paramGroups: ParamGroup<H>[];
  protected readonly state = new Map<Tensor, ParamState>();

  constructor(params: Tensor[] | ParamGroupInput<H>[], readonly defaults: H) {
    const groups: ParamGroupInput<H>[] = params.length > 0 && !('params' in params[0]!)
      ? [{ params: params as Tensor[] } as ParamGroupInput<H>]
      : params as ParamGroupInput<H>[];
    if (groups.length === 0 || groups.every((g) => g.params.length === 0)) throw new Error(`${this.constructor.name}: got an empty parameter list`);
    const seen = new Set<Tensor>();
    this.paramGroups = groups.map((g, i) => {
      for (const p of g.params) {
        if (seen.has(p)) throw new Error(`${this.constructor.name}: ${p.describe()} appears in more than one parameter group (group ${i})`);
        if (p.dtype !== 'float32') throw new Error(`${this.constructor.name}: ${p.describe()} is not float32 and cannot be optimised`);
        seen.add(p);
      }
      // A group's own value wins where given; `undefined` means "use the default", as a missing key.
      const own = Object.fromEntries(Object.entries(g).filter(([k, v]) => v !== undefined && k !== 'params'));
      return { ...defaults, ...own, params: [...g.params] } as ParamGroup<H>;
    });
    for (const g of this.paramGroups) this.validate(g);
  }

  /** Throws for hyper-parameters out of range, naming them. */
  protected abstract validate(group: ParamGroup<H>): void;

  /** Computes the new value of `p` from its gradient (called under noGrad inside tidy). */
  protected abstract update(p: Tensor, grad: Tensor, group: ParamGroup<H>, state: ParamState): void;

  /**
   * One update of every parameter that has a gradient. Runs without recording autograd history
   * and inside `tidy`, and replaces parameter (and state) data in place with `assign`, so the
   * tensors the model holds stay the same objects and device memory stays flat.
   */
  step(): void {
    tidy(() => noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          if (!p.grad) continue;
          let s = this.state.get(p);
          if (!s) { s = {}; this.state.set(p, s); }
          this.update(p, p.grad, group, s);
        }
      }
    }));
  }

  /** Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        p.grad?.dispose();
        p.grad = null;
      }
    }
  }

  /** Stores a state tensor that outlives the step's tidy scope (a new moment buffer). */
  protected keepState(s: ParamState, key: string, t: Tensor): Tensor {
    s[key] = keep(t);
    return t;
  }

  stateDict(): OptimizerStateDict {
    const state: Record<number, ParamState> = {};
    const paramGroups: OptimizerStateDict['paramGroups'] = [];
    let index = 0;
    for (const g of this.paramGroups) {
      const ids: number[] = [];
      for (const p of g.params) {
        const s = this.state.get(p);
        if (s) state[index] = { ...s };
        ids.push(index++);
      }
      const saved: SavedGroup = { params: ids };
      for (const [k, v] of Object.entries(g)) {
        if (typeof v === 'number' || typeof v === 'boolean') saved[k] = v;
        else if (k !== 'params' && Array.isArray(v) && v.every((e) => typeof e === 'number')) saved[k] = [...v as number[]];
      }
      paramGroups.push(saved);
    }
    return { state, paramGroups };
  }

  /** Restores hyper-parameters and state (copied) saved by `stateDict()` of an optimiser over the same parameters. */
  loadStateDict(dict: OptimizerStateDict): void {
    const name = this.constructor.name;
    if (dict.paramGroups.length !== this.paramGroups.length) {
      throw new Error(`${name}.loadStateDict: the state has ${dict.paramGroups.length} parameter group(s), this optimiser ${this.paramGroups.length}`);
    }
    const params = this.paramGroups.flatMap((g) => g.params);
    dict.paramGroups.forEach((sg, i) => {
      const g = this.paramGroups[i]!;
      if (sg.params.length !== g.params.length) {
        throw new Error(`${name}.loadStateDict: group ${i} has ${sg.params.length} parameter(s) in the state, ${g.params.length} here`);
      }
    });
    for (const [k, s] of Object.entries(dict.state)) {
      const p = params[Number(k)];
      if (!p) throw new Error(`${name}.loadStateDict: state for parameter ${k}, but there are only ${params.length}`);
      for (const [key, v] of Object.entries(s)) {
        if (typeof v !== 'number' && (v.size !== p.size || v.shape.some((d, i) => d !== p.shape[i]))) {
          throw new Error(`${name}.loadStateDict: ${key} of parameter ${k} has shape [${v.shape.join(', ')}], the parameter ${p.describe()}`);
        }
      }
    }
    // Copy first: the dict may hold this optimiser's own state tensors.
    const fresh = new Map<Tensor, ParamState>();
    noGrad(() => {
      for (const [k, s] of Object.entries(dict.state)) {
        const copy: ParamState = {};
        for (const [key, v] of Object.entries(s)) copy[key] = typeof v === 'number' ? v : keep(v.clone());
        fresh.set(params[Number(k)]!, copy);
      }
    });
    this.releaseState();
    for (const [p, s] of fresh) this.state.set(p, s);
    dict.paramGroups.forEach((sg, i) => {
      const g = this.paramGroups[i]! as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(sg)) if (k !== 'params') g[k] = Array.isArray(v) ? [...v] : v;
    });
  }

  private releaseState(): void {
    for (const s of this.state.values()) for (const v of Object.values(s)) if (typeof v !== 'number') v.dispose();
    this.state.clear();
  }

  /** Releases the optimiser's state tensors (the parameters are the model's). */
  dispose(): void {
    this.releaseState();
  }
}
