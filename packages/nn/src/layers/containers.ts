// Containers: Sequential (runs its children in order) and ModuleList (holds them).
import type { Tensor } from '@drgrade/tensor';
import { Module } from '../module.ts';

export type Layer = Module<Tensor, Tensor>;

/** Children named '0', '1', ... (or by `add(name, m)`, like an OrderedDict) applied in order. */
export class Sequential extends Module {
  private readonly layers: [string, Layer][] = [];

  constructor(...modules: Layer[]) {
    super();
    for (const m of modules) this.add(String(this.layers.length), m);
  }

  add<M extends Layer>(name: string, m: M): M {
    this.layers.push([name, this.registerModule(name, m)]);
    return m;
  }

  get length(): number { return this.layers.length; }

  /** The child named `name` ('3', or 'denseblock1' for named children). */
  get(name: string): Layer {
    const entry = this.layers.find(([n]) => n === name);
    if (!entry) throw new Error(`Sequential has no child '${name}' (children: ${this.layers.map(([n]) => n).join(', ')})`);
    return entry[1];
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const [, m] of this.layers) y = m.forward(y);
    return y;
  }

  /**
   * Runs the children in order and returns the outputs of those named in `names`, in the order
   * given; stops after the last of them, so layers past it cost nothing.
   */
  forwardCollect(x: Tensor, names: readonly string[]): Tensor[] {
    const wanted = new Set(names);
    for (const n of names) this.get(n);
    const found = new Map<string, Tensor>();
    let y = x;
    for (const [name, m] of this.layers) {
      y = m.forward(y);
      if (wanted.has(name)) found.set(name, y);
      if (found.size === wanted.size) break;
    }
    return names.map((n) => found.get(n)!);
  }
}

/** Children named '0', '1', ... with no forward of their own (torch.nn.ModuleList). */
export class ModuleList<M extends Module<unknown, unknown>> extends Module<unknown, never> {
  readonly items: M[] = [];

  constructor(modules: M[]) {
    super();
    for (const m of modules) this.items.push(this.registerModule(String(this.items.length), m));
  }

  forward(): never {
    throw new Error('ModuleList has no forward: call its items');
  }
}
