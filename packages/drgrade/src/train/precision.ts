// The training step in the configured precision (train.precision): 'float32' as ever, or 'mixed'
// (torch.cuda.amp's recipe): the forward pass under autocast (convolutions and linear layers in
// float16 from float32 master weights), losses on float32 outputs, the loss scaled for backward
// and the float32 gradients unscaled and checked before the step, which is skipped on inf/NaN
// (GradScaler). Weights, optimiser state and checkpoints stay float32; evaluation runs in float32.
import type { DeviceInfo, Tensor } from '@drgrade/tensor';
import { autocast, autocastInput, GradScaler, type GradScalerState, type Hyper, type Optimizer } from '@drgrade/nn';
import type { DrgradeConfig } from '../config/index.ts';
import { UserError } from '../util/errors.ts';
import type { GradingModel, ModelOutput } from './model.ts';

/** Refuses 'mixed' on an adapter without float16 storage, in one line naming the field and the feature. */
export function checkPrecision(cfg: DrgradeConfig, device: Pick<DeviceInfo, 'name' | 'f16'>): void {
  if (cfg.train.precision === 'mixed' && !device.f16) {
    throw new UserError(`train.precision 'mixed' needs the WebGPU feature 'shader-f16', which adapter "${device.name}" does not offer; set train.precision to 'float32'`);
  }
}

export class StepPrecision {
  readonly mixed: boolean;
  readonly scaler: GradScaler;

  constructor(cfg: DrgradeConfig) {
    this.mixed = cfg.train.precision === 'mixed';
    this.scaler = new GradScaler({ enabled: this.mixed });
  }

  /** The model's outputs, as float32 tensors whatever the precision (the losses need float32). */
  forward(model: GradingModel, images: Tensor): ModelOutput {
    return autocast(() => {
      const out = model.forward(images);
      // One cast per tensor: the prediction is often also the first loss term's scores.
      const cast = new Map<Tensor, Tensor>();
      const f32 = (t: Tensor) => cast.get(t) ?? cast.set(t, autocastInput('loss', t)).get(t)!;
      return { logits: f32(out.logits), embedding: out.embedding && f32(out.embedding), terms: out.terms.map((t) => ({ ...t, logits: f32(t.logits) })) };
    }, { enabled: this.mixed });
  }

  /** Backpropagates the loss (scaled in mixed precision). */
  backward(loss: Tensor): void {
    this.scaler.scale(loss).backward();
  }

  /** Steps the optimiser on the gradients (unscaled and checked first in mixed precision; skipped on inf/NaN) and clears them. */
  async step(optimizer: Optimizer<Hyper>): Promise<void> {
    await this.scaler.step(optimizer);
    this.scaler.update();
    optimizer.zeroGrad();
  }

  /** What a checkpoint keeps for resuming: the loss scale's state, in mixed precision. */
  checkpointState(): { scaler?: GradScalerState } {
    return this.mixed ? { scaler: this.scaler.stateDict() } : {};
  }

  resume(state: { scaler?: GradScalerState }): void {
    if (this.mixed && state.scaler) this.scaler.loadStateDict(state.scaler);
  }
}
