// AlexNet (Krizhevsky et al.) as torchvision's (the one-GPU variant of "One weird trick"):
// features.N, a 6x6 adaptive average pool, classifier.N, so its ImageNet state dict loads with
// strict keys. torchvision keeps PyTorch's default Conv2d and Linear initialisation, and so do
// the layers here.
import type { Tensor } from '@drgrade/tensor';
import { generatorOf, type InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { ReLU } from '../layers/activation.ts';
import { Sequential } from '../layers/containers.ts';
import { Conv2d } from '../layers/conv2d.ts';
import { Dropout } from '../layers/dropout.ts';
import { Linear } from '../layers/linear.ts';
import { AdaptiveAvgPool2d, MaxPool2d } from '../layers/pooling.ts';
import { divideWidth } from './width.ts';

export interface AlexNetOptions extends InitOptions {
  numClasses?: number;
  /** Probability of the two dropout layers of the classifier in training mode (torchvision's default 0.5; 0 turns them off). */
  dropout?: number;
  /** Divides every channel count and the classifier's width (1: torchvision's sizes), for small test models. */
  widthDivisor?: number;
}

export class AlexNet extends Module {
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;

  constructor(opts: AlexNetOptions = {}) {
    super();
    const g = generatorOf(opts);
    const w = (c: number) => divideWidth('AlexNet', c, opts.widthDivisor ?? 1);
    const conv = (i: number, o: number, k: number, stride: number, padding: number) => new Conv2d(i, o, k, { stride, padding, generator: g });
    const pool = () => new MaxPool2d({ kernelSize: 3, stride: 2 });
    this.features = this.registerModule('features', new Sequential(
      conv(3, w(64), 11, 4, 2), new ReLU(), pool(),
      conv(w(64), w(192), 5, 1, 2), new ReLU(), pool(),
      conv(w(192), w(384), 3, 1, 1), new ReLU(),
      conv(w(384), w(256), 3, 1, 1), new ReLU(),
      conv(w(256), w(256), 3, 1, 1), new ReLU(), pool(),
    ));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(6));
    const p = opts.dropout ?? 0.5;
    const hidden = w(4096);
    this.classifier = this.registerModule('classifier', new Sequential(
      new Dropout(p, { generator: g }), new Linear(w(256) * 36, hidden, { generator: g }), new ReLU(),
      new Dropout(p, { generator: g }), new Linear(hidden, hidden, { generator: g }), new ReLU(),
      new Linear(hidden, opts.numClasses ?? 1000, { generator: g }),
    ));
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}

/** torchvision's alexnet. */
export function alexnet(opts: AlexNetOptions = {}): AlexNet {
  return new AlexNet(opts);
}
