// A moving average of a network's weights, kept in a second copy of the network: after each
// optimiser step every parameter and floating-point buffer (batch-norm statistics) of the average
// moves towards the trained network's, avg = d·avg + (1 − d)·w (timm's ModelEmaV2,
// torch.optim.swa_utils.AveragedModel with an EMA and use_buffers). The average changes slowly,
// so the network it holds at the end of a schedule depends less on the last few batches.
import { clone, emaUpdate, noGrad, tidy, type Tensor } from '@drgrade/tensor';
import type { Module } from '../module.ts';

export interface WeightAverageState {
  /** Updates so far (the decay's warm-up depends on it). */
  steps: number;
}

export class WeightAverage {
  private steps = 0;
  /** The average's tensors by name: assign keeps each tensor's identity, so the walk is done once. */
  private readonly own: Map<string, Tensor>;

  /**
   * @param average a network of the same architecture as the trained one, already holding its
   * starting weights (the average starts there); it is updated in place and stays in eval mode.
   * @param decay the weight the average keeps at each update, in [0, 1). For the first updates the
   * decay is min(decay, (1 + t) / (10 + t)) at update t, as TensorFlow's ExponentialMovingAverage
   * with num_updates: the random initial weights are forgotten within a few dozen steps.
   */
  constructor(readonly average: Module<unknown, unknown>, readonly decay: number) {
    if (!(decay >= 0 && decay < 1)) throw new Error(`WeightAverage: decay must be in [0, 1), got ${decay}`);
    average.eval();
    this.own = average.stateDict();
  }

  /** The decay of the next update. */
  nextDecay(): number {
    return Math.min(this.decay, (1 + this.steps) / (10 + this.steps));
  }

  /** Moves the average towards `trained` (same state-dict names and shapes); integer-valued counters are copied. */
  update(trained: Module<unknown, unknown>): void {
    const d = this.nextDecay();
    this.steps++;
    tidy(() => noGrad(() => {
      for (const [name, t] of trained.stateDict()) {
        const a = this.own.get(name);
        if (!a || a.size !== t.size) throw new Error(`WeightAverage: the trained network's '${name}' ${t.describe()} has no counterpart of its size in the average`);
        // num_batches_tracked counts batches: an average of counts means nothing.
        if (t.dtype !== 'float32' || name.endsWith('num_batches_tracked')) a.assign(clone(t));
        else emaUpdate(a, t, d);
      }
    }));
  }

  stateDict(): WeightAverageState {
    return { steps: this.steps };
  }

  /** Restores the update count; the average's weights are restored with its module's loadStateDict. */
  loadStateDict(state: WeightAverageState): void {
    if (!(Number.isInteger(state.steps) && state.steps >= 0)) throw new Error(`WeightAverage.loadStateDict: steps must be a non-negative integer, got ${state.steps}`);
    this.steps = state.steps;
  }
}
