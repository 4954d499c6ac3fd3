// Dynamic loss scaling (torch.amp.GradScaler): the loss is multiplied by a scale before backward
// so that small float16 gradients do not underflow; before the step the float32 gradients are
// divided by it and checked; a step with an inf or NaN gradient is skipped and the scale backs
// off, and after growthInterval clean steps in a row it grows.
import { noGrad, tidy, type Tensor } from '@drgrade/tensor';
import type { Hyper, Optimizer } from './optimizer.ts';

export interface GradScalerOptions {
  /** The first scale (default 2^16). */
  initScale?: number;
  /** Factor the scale grows by after growthInterval clean steps (default 2). */
  growthFactor?: number;
  /** Factor the scale shrinks by after a step with inf/NaN gradients (default 0.5). */
  backoffFactor?: number;
  /** Clean steps in a row before the scale grows (default 2000). */
  growthInterval?: number;
  /** false makes every method a pass-through (scale 1, plain steps), so one training loop serves float32 and mixed runs. */
  enabled?: boolean;
}

/** What a checkpoint keeps to resume the scale's course (PyTorch's state_dict, camel-cased). */
export interface GradScalerState {
  scale: number;
  growthFactor: number;
  backoffFactor: number;
  growthInterval: number;
  growthTracker: number;
}

type AnyOptimizer = Optimizer<Hyper>;

function checkState(s: GradScalerState): void {
  if (!(s.scale > 0 && Number.isFinite(s.scale))) throw new Error(`GradScaler: scale ${s.scale} must be a positive finite number`);
  if (!(s.growthFactor > 1)) throw new Error(`GradScaler: growthFactor ${s.growthFactor} must be > 1`);
  if (!(s.backoffFactor > 0 && s.backoffFactor < 1)) throw new Error(`GradScaler: backoffFactor ${s.backoffFactor} must be in (0, 1)`);
  if (!(Number.isInteger(s.growthInterval) && s.growthInterval > 0)) throw new Error(`GradScaler: growthInterval ${s.growthInterval} must be a positive integer`);
  if (!(Number.isInteger(s.growthTracker) && s.growthTracker >= 0 && s.growthTracker < s.growthInterval)) {
    throw new Error(`GradScaler: growthTracker ${s.growthTracker} must be an integer in [0, growthInterval)`);
  }
}

export class GradScaler {
  readonly enabled: boolean;
  private state: GradScalerState;
  /** Per optimiser since the last update(): whether its gradients had an inf or NaN (set when unscaled). */
  private readonly foundInf = new Map<AnyOptimizer, boolean>();

  constructor(opts: GradScalerOptions = {}) {
    this.enabled = opts.enabled ?? true;
    this.state = {
      scale: opts.initScale ?? 2 ** 16, growthFactor: opts.growthFactor ?? 2, backoffFactor: opts.backoffFactor ?? 0.5,
      growthInterval: opts.growthInterval ?? 2000, growthTracker: 0,
    };
    checkState(this.state);
  }

  /** The current scale (1 when disabled). */
  getScale(): number {
    return this.enabled ? this.state.scale : 1;
  }

  /** loss · scale, to call backward on (the loss itself when disabled). */
  scale(loss: Tensor): Tensor {
    return this.enabled ? loss.mul(this.state.scale) : loss;
  }

  /**
   * Divides the gradients of the optimiser's parameters by the scale, in place, and records
   * whether any is inf or NaN (one read back from the device). At most once per step; call it
   * before clipping or reading the gradients, else step() does.
   */
  async unscale(optimizer: AnyOptimizer): Promise<void> {
    if (!this.enabled) return;
    if (this.foundInf.has(optimizer)) throw new Error('GradScaler.unscale: already called for this optimiser since the last update()');
    const inv = 1 / this.state.scale;
    // The sum of every gradient is inf or NaN when some element is (and, beyond that, only when the
    // sum leaves float32's range, where the step would be useless anyway): one value to read back.
    const check = tidy(() => noGrad(() => {
      let sum: Tensor | null = null;
      for (const p of optimizer.paramGroups.flatMap((g) => g.params)) {
        if (!p.grad) continue;
        if (p.grad.dtype !== 'float32') throw new Error(`GradScaler: the gradient of ${p.describe()} is ${p.grad.dtype}; master weights and their gradients must be float32`);
        p.grad.assign(p.grad.mul(inv));
        const total = p.grad.sum();
        sum = sum ? sum.add(total) : total;
      }
      return sum;
    }));
    let found = false;
    if (check) {
      found = !Number.isFinite(await check.item());
      check.dispose();
    }
    this.foundInf.set(optimizer, found);
  }

  /** Unscales (if not yet) and steps the optimiser unless its gradients had an inf or NaN. Returns whether it stepped. */
  async step(optimizer: AnyOptimizer): Promise<boolean> {
    if (!this.enabled) { optimizer.step(); return true; }
    if (!this.foundInf.has(optimizer)) await this.unscale(optimizer);
    if (this.foundInf.get(optimizer)) return false;
    optimizer.step();
    return true;
  }

  /**
   * Adjusts the scale after a step: backoffFactor if any optimiser stepped since the last update
   * had an inf or NaN gradient (and the count of clean steps restarts), growthFactor once that
   * count reaches growthInterval.
   */
  update(): void {
    if (!this.enabled) return;
    if (this.foundInf.size === 0) throw new Error('GradScaler.update: no optimiser was unscaled or stepped since the last update()');
    const s = this.state;
    if ([...this.foundInf.values()].some((f) => f)) {
      s.scale *= s.backoffFactor;
      s.growthTracker = 0;
    } else if (++s.growthTracker === s.growthInterval) {
      const grown = s.scale * s.growthFactor;
      // As PyTorch: a scale that would overflow float32 stays where it is.
      if (Number.isFinite(Math.fround(grown))) s.scale = grown;
      s.growthTracker = 0;
    }
    this.foundInf.clear();
  }

  stateDict(): GradScalerState {
    return { ...this.state };
  }

  loadStateDict(state: GradScalerState): void {
    checkState(state);
    this.state = { ...state };
  }
}
