// Pooling layers over NCHW tensors (the kernels are @drgrade/tensor's).
import { adaptiveAvgPool2d, adaptiveMaxPool2d, avgPool2d, maxPool2d, type AvgPool2dOptions, type MaxPool2dOptions, type Tensor } from '@drgrade/tensor';
import { Module } from '../module.ts';
import { autocastInput } from '../precision.ts';

export class MaxPool2d extends Module {
  constructor(readonly options: MaxPool2dOptions) { super(); }
  forward(x: Tensor): Tensor { return maxPool2d(autocastInput('maxPool2d', x), this.options); }
}

export class AvgPool2d extends Module {
  constructor(readonly options: AvgPool2dOptions) { super(); }
  forward(x: Tensor): Tensor { return avgPool2d(autocastInput('avgPool2d', x), this.options); }
}

export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly [number, number]) { super(); }
  forward(x: Tensor): Tensor { return adaptiveAvgPool2d(autocastInput('adaptiveAvgPool2d', x), this.outputSize); }
}

/** AdaptiveMaxPool2d(1) is global max pooling. */
export class AdaptiveMaxPool2d extends Module {
  constructor(readonly outputSize: number | readonly [number, number]) { super(); }
  forward(x: Tensor): Tensor { return adaptiveMaxPool2d(autocastInput('adaptiveMaxPool2d', x), this.outputSize); }
}
