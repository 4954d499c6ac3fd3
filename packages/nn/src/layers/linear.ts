// Linear: y = x Wᵀ + b, weight [out, in], PyTorch's initialisation.
import type { Tensor } from '@drgrade/tensor';
import { generatorOf, kaimingUniform, uniform, type InitOptions } from '../init.ts';
import { Module } from '../module.ts';
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
    const x2 = x.reshape([-1, this.inFeatures]);
    const m = x2.shape[0]!;
    // Tensors are contiguous, so a transpose is a copy: transpose whichever side is smaller,
    // the weight (in·out) or the input and output (m·(in + out)).
    const y2 = m * (this.inFeatures + this.outFeatures) < this.inFeatures * this.outFeatures
      ? this.weight.matmul(x2.transpose()).transpose()
      : x2.matmul(this.weight.transpose());
    const y = y2.reshape([...lead, this.outFeatures]);
    return this.bias ? y.add(this.bias) : y;
  }
}
