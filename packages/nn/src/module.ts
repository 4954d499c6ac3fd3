// The Module base class: parameters, buffers and child modules under PyTorch's dotted names,
// train/eval, state dicts and forward hooks.
import { keep, noGrad, Tensor, tidy } from '@drgrade/tensor';
import { groupShards, rowsOf, shardName } from './row-shards.ts';

/** Name → tensor, in PyTorch's state_dict order. The tensors are the module's own: do not dispose them. */
export type StateDict = Map<string, Tensor>;

export interface LoadStateDictOptions {
  /** Require the keys to match exactly (PyTorch's default, true). Shape mismatches are errors either way. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** A state dict that does not fit a module; the message lists every problem by name. */
export class StateDictError extends Error {
  override name = 'StateDictError';
  constructor(message: string, readonly missingKeys: string[], readonly unexpectedKeys: string[], readonly mismatches: string[]) {
    super(message);
  }
}

/** Called after `forward`; returning a value replaces the module's output (as in PyTorch). */
export type ForwardHook<In, Out> = (module: Module<In, Out>, input: In, output: Out) => Out | void;

export interface HookHandle {
  remove(): void;
}

function describeShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function checkName(kind: string, name: string): void {
  // ':' is kept for row shards (row-shards.ts), which registerParameterShards names.
  if (name.length === 0 || /[.:]/.test(name)) throw new Error(`${kind} name '${name}' must be non-empty and contain no '.' or ':'`);
}

export abstract class Module<In = Tensor, Out = Tensor> {
  training = true;
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly ownModules = new Map<string, Module<unknown, unknown>>();
  // Stored type-erased: a field typed with In and Out would make Module<Tensor, Tensor> no longer
  // assignable to the Module<unknown, unknown> that containers hold.
  private hooks: ((input: unknown, output: unknown) => unknown)[] = [];

  abstract forward(input: In): Out;

  /**
   * Adds a trainable tensor under `name`. Registration order is the order of `namedParameters()`
   * and `stateDict()`, so subclasses register in the order PyTorch's modules assign attributes.
   * The tensor is kept out of `tidy` scopes: it lives until `dispose()`.
   */
  protected registerParameter(name: string, t: Tensor): Tensor {
    this.checkFree(name);
    t.requireGrad();
    t.name = name;
    this.ownParameters.set(name, keep(t));
    return t;
  }

  /**
   * Adds the row blocks of one trainable tensor too large for one kernel binding, in order, as
   * `name:0`, `name:1`, ... (row-shards.ts): state dicts and files then treat them as one `name`.
   */
  protected registerParameterShards(name: string, shards: readonly Tensor[]): Tensor[] {
    this.checkFree(name);
    return shards.map((t, i) => {
      const key = shardName(name, i);
      this.checkUnused(key);
      t.requireGrad();
      t.name = key;
      this.ownParameters.set(key, keep(t));
      return t;
    });
  }

  /** Adds a non-trainable tensor that belongs in the state dict (running statistics). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    this.checkFree(name);
    t.name = name;
    this.ownBuffers.set(name, keep(t));
    return t;
  }

  protected registerModule<M extends Module<unknown, unknown>>(name: string, m: M): M {
    this.checkFree(name);
    this.ownModules.set(name, m);
    // Tensor names are the full dotted path from the outermost module; each registration
    // renames the subtree, so the last (outermost) one wins.
    for (const [n, t] of m.namedParameters(name)) t.name = n;
    for (const [n, t] of m.namedBuffers(name)) t.name = n;
    return m;
  }

  private checkFree(name: string): void {
    checkName('module member', name);
    this.checkUnused(name);
  }

  private checkUnused(key: string): void {
    if (this.ownParameters.has(key) || this.ownBuffers.has(key) || this.ownModules.has(key)) {
      throw new Error(`${this.constructor.name}: '${key}' is already registered`);
    }
  }

  /** Direct children, in registration order. */
  namedChildren(): [string, Module<unknown, unknown>][] {
    return [...this.ownModules];
  }

  /** This module and every descendant, depth first (PyTorch's named_modules order). */
  namedModules(prefix = ''): [string, Module<unknown, unknown>][] {
    const out: [string, Module<unknown, unknown>][] = [[prefix, this]];
    for (const [name, child] of this.ownModules) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** The descendant at a dotted path, e.g. `features.denseblock4`. */
  getSubmodule(path: string): Module<unknown, unknown> {
    let m: Module<unknown, unknown> = this;
    if (path === '') return m;
    for (const part of path.split('.')) {
      const next = m.ownModules.get(part);
      if (!next) throw new Error(`${this.constructor.name} has no submodule '${path}' ('${part}' not found; children: ${[...m.ownModules.keys()].join(', ') || 'none'})`);
      m = next;
    }
    return m;
  }

  /** Parameters under dotted names in PyTorch's order; a tensor shared by two modules is listed once. */
  namedParameters(prefix = ''): [string, Tensor][] {
    return this.collect(prefix, (m) => m.ownParameters);
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    return this.collect(prefix, (m) => m.ownBuffers);
  }

  private collect(prefix: string, own: (m: Module<unknown, unknown>) => Map<string, Tensor>): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, t] of own(m)) {
        if (seen.has(t)) continue;
        seen.add(t);
        out.push([path ? `${path}.${name}` : name, t]);
      }
    }
    return out;
  }

  /** Sets training mode here and in every descendant (batch norm and dropout read it). */
  train(on = true): this {
    for (const [, m] of this.namedModules()) m.training = on;
    return this;
  }

  eval(): this { return this.train(false); }

  /** Clears the gradients of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /**
   * Parameters and buffers in PyTorch's state_dict order: each module's own parameters, then its
   * own buffers, then its children. The tensors are the module's own (no copies).
   */
  stateDict(prefix = ''): StateDict {
    const out: StateDict = new Map();
    const walk = (m: Module<unknown, unknown>, path: string): void => {
      const key = (n: string) => (path ? `${path}.${n}` : n);
      for (const [n, t] of m.ownParameters) out.set(key(n), t);
      for (const [n, t] of m.ownBuffers) out.set(key(n), t);
      for (const [n, child] of m.ownModules) walk(child, key(n));
    };
    walk(this, prefix);
    return out;
  }

  /**
   * Copies tensors from `dict` into this module's parameters and buffers, keeping their identity
   * (optimisers hold them). Every problem is collected first and reported in one error: missing
   * and unexpected keys (when strict) and shape mismatches (always, as in PyTorch). Integer tensors
   * (torchvision's int64 num_batches_tracked) are converted to float32 where the module holds floats.
   * Keys and shapes are the whole tensors': a weight held in row shards (`name:0`, ...) on either
   * side is matched by its own name and copied row block by row block.
   */
  loadStateDict(dict: Map<string, Tensor> | Record<string, Tensor>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = opts.strict ?? true;
    const shapeOf = (t: Tensor) => t.shape;
    const source = groupShards(dict instanceof Map ? dict : Object.entries(dict), shapeOf);
    const own = groupShards(this.stateDict(), shapeOf);
    const missingKeys = [...own.keys()].filter((k) => !source.has(k));
    const unexpectedKeys = [...source.keys()].filter((k) => !own.has(k));
    const mismatches: string[] = [];
    for (const [k, t] of own) {
      const s = source.get(k);
      if (!s) continue;
      const dtype = t.parts[0]!.value.dtype;
      const sourceDtype = s.parts[0]!.value.dtype;
      if (s.shape.length !== t.shape.length || s.shape.some((d, i) => d !== t.shape[i])) {
        mismatches.push(`${k}: checkpoint has shape ${describeShape(s.shape)}, this model ${describeShape(t.shape)}`);
      } else if (sourceDtype !== dtype && !(sourceDtype === 'int32' && dtype === 'float32')) {
        mismatches.push(`${k}: checkpoint has dtype ${sourceDtype}, this model ${dtype}`);
      }
    }
    const problems: string[] = [];
    if (mismatches.length) problems.push(`size mismatch for ${mismatches.length} tensor(s):\n  ${mismatches.join('\n  ')}`);
    if (strict && missingKeys.length) problems.push(`missing key(s) (${missingKeys.length}): ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected key(s) (${unexpectedKeys.length}): ${unexpectedKeys.join(', ')}`);
    if (problems.length) {
      throw new StateDictError(`Error(s) in loading state dict for ${this.constructor.name}:\n${problems.join('\n')}` +
        (strict && (missingKeys.length || unexpectedKeys.length) ? '\n(pass {strict: false} to load only the matching keys)' : ''),
      missingKeys, unexpectedKeys, mismatches);
    }
    tidy(() => noGrad(() => {
      for (const [k, t] of own) {
        const s = source.get(k);
        if (!s) continue;
        for (const part of t.parts) part.value.assign(rowsOf(s, part.row, part.shape, part.value.dtype));
      }
    }));
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Runs `hook(module, input, output)` after every `forward` of this module; a returned value
   * replaces the output. Used by `captureOutput` for Grad-CAM.
   */
  registerForwardHook(hook: ForwardHook<In, Out>): HookHandle {
    if (this.hooks.length === 0 && !Object.prototype.hasOwnProperty.call(this, 'forward')) {
      // Shadow the class's forward on this instance, so callers that invoke `child.forward(x)`
      // run the hooks without each model having to go through a separate call method.
      const inner = this.forward;
      this.forward = (input: In): Out => {
        let out = inner.call(this, input);
        for (const h of [...this.hooks]) {
          const replaced = h(input, out);
          if (replaced !== undefined) out = replaced as Out;
        }
        return out;
      };
    }
    const entry = (input: unknown, output: unknown): unknown => hook(this, input as In, output as Out);
    this.hooks.push(entry);
    return { remove: () => { this.hooks = this.hooks.filter((h) => h !== entry); } };
  }

  /** Releases every parameter and buffer (and their gradients). The module is unusable afterwards. */
  dispose(): void {
    for (const [, t] of this.stateDict()) t.dispose();
  }
}
