// BatchNorm2d with running statistics and torchvision's num_batches_tracked buffer.
import { batchNorm, full, isRecomputing, noGrad, tidy, type Tensor } from '@drgrade/tensor';
import { Module } from '../module.ts';
import { autocastInput } from '../precision.ts';
import { moduleLabel } from './label.ts';

export interface BatchNorm2dOptions {
  eps?: number;
  momentum?: number;
  /**
   * 'relu' applies the ReLU that follows in the same kernel (DenseNet's norm → relu pairs): one
   * pass over, and one saved copy of, the largest activations fewer. The output (and what a
   * forward hook sees) is then the ReLU's.
   */
  activation?: 'none' | 'relu';
}

export class BatchNorm2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  /**
   * Training batches seen. PyTorch keeps it as int64; here it is float32 because the tensor
   * library has no integer arithmetic (exact up to 2²⁴ batches). int64 values from a checkpoint
   * are converted on load, and PyTorch converts back when it loads ours.
   */
  readonly numBatchesTracked: Tensor;
  readonly eps: number;
  readonly momentum: number;
  readonly activation: 'none' | 'relu';

  constructor(readonly numFeatures: number, opts: BatchNorm2dOptions = {}) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    this.activation = opts.activation ?? 'none';
    this.weight = this.registerParameter('weight', full([numFeatures], 1));
    this.bias = this.registerParameter('bias', full([numFeatures], 0));
    this.runningMean = this.registerBuffer('running_mean', full([numFeatures], 0));
    this.runningVar = this.registerBuffer('running_var', full([numFeatures], 1));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', full([], 0));
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.numFeatures) {
      throw new Error(`${moduleLabel(this, this.weight)}: expected an input [N, ${this.numFeatures}, H, W], got ${x.describe()}`);
    }
    return this.normalize(x);
  }

  /**
   * Normalises the first numFeatures channels of a wider x (a dense block's buffer), read in
   * place: the output has numFeatures channels, x's gradient is zero past them.
   */
  forwardPrefix(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1]! < this.numFeatures) {
      throw new Error(`${moduleLabel(this, this.weight)}: expected an input [N, >= ${this.numFeatures}, H, W], got ${x.describe()}`);
    }
    return this.normalize(x);
  }

  private normalize(x: Tensor): Tensor {
    // A checkpoint's rerun in backward counts no second batch (as the running statistics).
    if (this.training && !isRecomputing()) {
      tidy(() => noGrad(() => { this.numBatchesTracked.assign(this.numBatchesTracked.add(1)); }));
    }
    return batchNorm(autocastInput('batchNorm', x), this.runningMean, this.runningVar, this.weight, this.bias,
      { training: this.training, momentum: this.momentum, eps: this.eps, activation: this.activation, channels: this.numFeatures });
  }
}
