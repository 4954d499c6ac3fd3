// Conv (no bias) → batch norm → ReLU, the block GoogLeNet (torchvision's BasicConv2d) and PMG's
// heads (the official BasicConv) are built from; the ReLU is fused into the norm. The children
// keep the state-dict names both use, `conv` and `bn`.
import type { Tensor } from '@drgrade/tensor';
import { Module } from '../module.ts';
import { BatchNorm2d, type BatchNorm2dOptions } from './batchnorm.ts';
import { Conv2d, type Conv2dLayerOptions } from './conv2d.ts';

export interface ConvBnReLUOptions extends Omit<Conv2dLayerOptions, 'bias'> {
  /** The norm's eps and momentum (PyTorch's defaults 1e-5 and 0.1). */
  norm?: Pick<BatchNorm2dOptions, 'eps' | 'momentum'>;
}

export class ConvBnReLU extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(inChannels: number, outChannels: number, kernel: number, opts: ConvBnReLUOptions = {}) {
    super();
    const { norm, ...conv } = opts;
    this.conv = this.registerModule('conv', new Conv2d(inChannels, outChannels, kernel, { ...conv, bias: false }));
    this.bn = this.registerModule('bn', new BatchNorm2d(outChannels, { ...norm, activation: 'relu' }));
  }

  forward(x: Tensor): Tensor { return this.bn.forward(this.conv.forward(x)); }
}
