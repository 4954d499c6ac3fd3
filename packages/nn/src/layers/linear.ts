// Linear: y = x Wᵀ + b, weight [out, in], PyTorch's initialisation.
import type { Tensor } from '@drgrade/tensor';
import { generatorOf, kaimingUniform, uniform, type InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { autocastInput, autocastInputs } from '../precision.ts';
import { moduleLabel } from './label.ts';

export interface LinearOptions extends InitOptions {
  bias?: boolean;
  /** Replaces the default kaiming_uniform(a=√5) weight init (models with their own init pass theirs). */
  initWeight?: (shape: number[]) => Tensor;
  /** Replaces the default U(±1/√fan_in) bias init. */
  initBias?: (shape: number[]) => Tensor;
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: LinearOptions = {}) {
    super();
    const g = generatorOf(opts);
    const shape = [outFeatures, inFeatures];
    this.weight = this.registerParameter('weight', opts.initWeight ? opts.initWeight(shape) : kaimingUniform(shape, Math.sqrt(5), g));
    this.bias = (opts.bias ?? true)
      ? this.registerParameter('bias', opts.initBias ? opts.initBias([outFeatures]) : uniform([outFeatures], 1 / Math.sqrt(inFeatures), g))
      : null;
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`${moduleLabel(this, this.weight)}: input ${x.describe()} has ${x.shape[x.rank - 1]} features, expected ${this.inFeatures}`);
    }
    const lead = x.shape.slice(0, -1);
    const x2 = autocastInput('matmul', x.reshape([-1, this.inFeatures]));
    // Under autocast the float32 weight is cast per forward, so its gradient arrives float32.
    const weight = autocastInput('matmul', this.weight);
    const m = x2.shape[0]!;
    // Tensors are contiguous, so a transpose is a copy: transpose whichever side is smaller,
    // the weight (in·out) or the input and output (m·(in + out)).
    const y2 = m * (this.inFeatures + this.outFeatures) < this.inFeatures * this.outFeatures
      ? weight.matmul(x2.transpose()).transpose()
      : x2.matmul(weight.transpose());
    const y = y2.reshape([...lead, this.outFeatures]);
    if (!this.bias) return y;
    // The bias at the product's precision, as PyTorch's autocast linear; the add then runs where autocast says.
    const [a, b] = autocastInputs('add', [y, autocastInput('matmul', this.bias)]);
    return a.add(b);
  }
}
