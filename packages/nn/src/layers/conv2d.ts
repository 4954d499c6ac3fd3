// Conv2d over NCHW tensors, weight [out, in / groups, kh, kw], PyTorch's initialisation.
import { conv2d, type Tensor } from '@drgrade/tensor';
import { fanIn, generatorOf, kaimingUniform, uniform, type InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { autocastInput } from '../precision.ts';
import { moduleLabel } from './label.ts';

type Pair = number | [number, number];

export interface Conv2dLayerOptions extends InitOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
  /** Replaces the default kaiming_uniform(a=√5) weight init (models with their own init pass theirs). */
  initWeight?: (shape: number[]) => Tensor;
  /** Replaces the default U(±1/√fan_in) bias init. */
  initBias?: (shape: number[]) => Tensor;
}

const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, opts: Conv2dLayerOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts.stride ?? 1);
    this.padding = pair(opts.padding ?? 0);
    this.dilation = pair(opts.dilation ?? 1);
    this.groups = opts.groups ?? 1;
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new Error(`Conv2d(${inChannels}, ${outChannels}): channels must be divisible by groups = ${this.groups}`);
    }
    const g = generatorOf(opts);
    const shape = [outChannels, inChannels / this.groups, ...this.kernelSize];
    this.weight = this.registerParameter('weight', opts.initWeight ? opts.initWeight(shape) : kaimingUniform(shape, Math.sqrt(5), g));
    this.bias = (opts.bias ?? true)
      ? this.registerParameter('bias', opts.initBias ? opts.initBias([outChannels]) : uniform([outChannels], 1 / Math.sqrt(fanIn(shape)), g))
      : null;
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new Error(`${moduleLabel(this, this.weight)}: expected an input [N, ${this.inChannels}, H, W], got ${x.describe()}`);
    }
    // Under autocast the float32 weights are cast per forward, so their gradients arrive float32.
    const bias = this.bias && autocastInput('conv2d', this.bias);
    return conv2d(autocastInput('conv2d', x), autocastInput('conv2d', this.weight), bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}
