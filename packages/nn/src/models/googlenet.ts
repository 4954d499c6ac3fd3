// GoogLeNet (Inception v1, Szegedy et al.) as torchvision's: conv1..conv3 (BasicConv2d: conv
// without bias, batch norm eps 1e-3, ReLU), inception3a..inception5b, the auxiliary classifiers
// aux1 (after inception4a) and aux2 (after inception4d), avgpool, dropout, fc; max pools in ceil
// mode; transform_input=False. Names and initialisation match, so torchvision's state dicts load
// with strict keys (with auxLogits: false, as its ImageNet weights are published, no aux keys).
import { concat, type Generator, type Tensor } from '@drgrade/tensor';
import { generatorOf, normal, type InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { Sequential } from '../layers/containers.ts';
import { ConvBnReLU } from '../layers/conv-bn-relu.ts';
import { Dropout } from '../layers/dropout.ts';
import { Linear } from '../layers/linear.ts';
import { AdaptiveAvgPool2d, MaxPool2d } from '../layers/pooling.ts';
import { autocastInput, autocastInputs } from '../precision.ts';
import { divideWidth } from './width.ts';

export interface GoogLeNetOptions extends InitOptions {
  numClasses?: number;
  /** Build the auxiliary classifiers aux1 and aux2 (default true, as torchvision's GoogLeNet). */
  auxLogits?: boolean;
  /** Dropout before fc in training mode (torchvision's default 0.2; 0 turns it off). */
  dropout?: number;
  /** Dropout in the auxiliary classifiers (torchvision's dropout_aux, default 0.7). */
  dropoutAux?: number;
  /** Divides every channel count (1: torchvision's sizes), for small test models. */
  widthDivisor?: number;
}

export interface GoogLeNetOutput {
  logits: Tensor;
  aux1: Tensor;
  aux2: Tensor;
}

/**
 * torchvision's init: trunc_normal_(std 0.01, a=-2, b=2) for conv and linear weights. The
 * truncation is at 200 standard deviations, so a plain N(0, 0.01²) draw is the same distribution.
 */
function weightInit(g: Generator): (shape: number[]) => Tensor {
  return (shape) => normal(shape, 0.01, g);
}

/** torchvision's BasicConv2d: conv, batch norm with eps 1e-3, ReLU. */
function basicConv2d(g: Generator, inChannels: number, outChannels: number, kernel: number, stride = 1, padding = 0): ConvBnReLU {
  return new ConvBnReLU(inChannels, outChannels, kernel, { stride, padding, initWeight: weightInit(g), norm: { eps: 1e-3 } });
}

/**
 * Four branches concatenated on channels: 1x1; 1x1 → 3x3; 1x1 → "5x5" (3x3 in torchvision,
 * pytorch/vision#906, kept so its weights load); 3x3 max pool → 1x1.
 */
class Inception extends Module {
  readonly branch1: ConvBnReLU;
  readonly branch2: Sequential;
  readonly branch3: Sequential;
  readonly branch4: Sequential;
  readonly outChannels: number;

  constructor(g: Generator, inChannels: number, ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number) {
    super();
    this.branch1 = this.registerModule('branch1', basicConv2d(g, inChannels, ch1x1, 1));
    this.branch2 = this.registerModule('branch2', new Sequential(basicConv2d(g, inChannels, ch3x3red, 1), basicConv2d(g, ch3x3red, ch3x3, 3, 1, 1)));
    this.branch3 = this.registerModule('branch3', new Sequential(basicConv2d(g, inChannels, ch5x5red, 1), basicConv2d(g, ch5x5red, ch5x5, 3, 1, 1)));
    this.branch4 = this.registerModule('branch4', new Sequential(
      new MaxPool2d({ kernelSize: 3, stride: 1, padding: 1, ceilMode: true }), basicConv2d(g, inChannels, poolProj, 1)));
    this.outChannels = ch1x1 + ch3x3 + ch5x5 + poolProj;
  }

  forward(x: Tensor): Tensor {
    return concat(autocastInputs('concat', [this.branch1.forward(x), this.branch2.forward(x), this.branch3.forward(x), this.branch4.forward(x)]), 1);
  }
}

/** Auxiliary classifier: 4x4 adaptive average pool, 1x1 conv to 128, fc1 (1024) + ReLU, dropout, fc2. */
class InceptionAux extends Module {
  readonly conv: ConvBnReLU;
  readonly fc1: Linear;
  readonly fc2: Linear;
  readonly dropout: Dropout;
  private readonly pool = new AdaptiveAvgPool2d(4);

  constructor(g: Generator, inChannels: number, numClasses: number, width: (c: number) => number, dropout: number) {
    super();
    this.conv = this.registerModule('conv', basicConv2d(g, inChannels, width(128), 1));
    // Linear biases keep PyTorch's default init (torchvision's loop sets only the weights).
    this.fc1 = this.registerModule('fc1', new Linear(width(128) * 16, width(1024), { generator: g, initWeight: weightInit(g) }));
    this.fc2 = this.registerModule('fc2', new Linear(width(1024), numClasses, { generator: g, initWeight: weightInit(g) }));
    this.dropout = this.registerModule('dropout', new Dropout(dropout, { generator: g }));
  }

  forward(x: Tensor): Tensor {
    const y = this.conv.forward(this.pool.forward(x)).flatten(1);
    return this.fc2.forward(this.dropout.forward(autocastInput('relu', this.fc1.forward(y)).relu()));
  }
}

/** Inception parameters per block, as torchvision's: in, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj. */
const INCEPTIONS = {
  inception3a: [192, 64, 96, 128, 16, 32, 32],
  inception3b: [256, 128, 128, 192, 32, 96, 64],
  inception4a: [480, 192, 96, 208, 16, 48, 64],
  inception4b: [512, 160, 112, 224, 24, 64, 64],
  inception4c: [512, 128, 128, 256, 24, 64, 64],
  inception4d: [512, 112, 144, 288, 32, 64, 64],
  inception4e: [528, 256, 160, 320, 32, 128, 128],
  inception5a: [832, 256, 160, 320, 32, 128, 128],
  inception5b: [832, 384, 192, 384, 48, 128, 128],
} as const;

type InceptionName = keyof typeof INCEPTIONS;

export class GoogLeNet extends Module {
  readonly conv1: ConvBnReLU;
  readonly maxpool1: MaxPool2d;
  readonly conv2: ConvBnReLU;
  readonly conv3: ConvBnReLU;
  readonly maxpool2: MaxPool2d;
  readonly inception3a: Inception;
  readonly inception3b: Inception;
  readonly maxpool3: MaxPool2d;
  readonly inception4a: Inception;
  readonly inception4b: Inception;
  readonly inception4c: Inception;
  readonly inception4d: Inception;
  readonly inception4e: Inception;
  readonly maxpool4: MaxPool2d;
  readonly inception5a: Inception;
  readonly inception5b: Inception;
  readonly aux1: InceptionAux | null;
  readonly aux2: InceptionAux | null;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly dropout: Dropout;
  readonly fc: Linear;

  constructor(opts: GoogLeNetOptions = {}) {
    super();
    const g = generatorOf(opts);
    const w = (c: number) => divideWidth('GoogLeNet', c, opts.widthDivisor ?? 1);
    const pool = (k: number) => new MaxPool2d({ kernelSize: k, stride: 2, ceilMode: true });
    const inception = (name: InceptionName) => {
      const [i, a, b, c, d, e, f] = INCEPTIONS[name].map(w) as [number, number, number, number, number, number, number];
      return this.registerModule(name, new Inception(g, i, a, b, c, d, e, f));
    };
    const classes = opts.numClasses ?? 1000;
    this.conv1 = this.registerModule('conv1', basicConv2d(g, 3, w(64), 7, 2, 3));
    this.maxpool1 = this.registerModule('maxpool1', pool(3));
    this.conv2 = this.registerModule('conv2', basicConv2d(g, w(64), w(64), 1));
    this.conv3 = this.registerModule('conv3', basicConv2d(g, w(64), w(192), 3, 1, 1));
    this.maxpool2 = this.registerModule('maxpool2', pool(3));
    this.inception3a = inception('inception3a');
    this.inception3b = inception('inception3b');
    this.maxpool3 = this.registerModule('maxpool3', pool(3));
    this.inception4a = inception('inception4a');
    this.inception4b = inception('inception4b');
    this.inception4c = inception('inception4c');
    this.inception4d = inception('inception4d');
    this.inception4e = inception('inception4e');
    this.maxpool4 = this.registerModule('maxpool4', pool(2));
    this.inception5a = inception('inception5a');
    this.inception5b = inception('inception5b');
    const aux = opts.auxLogits ?? true;
    const pAux = opts.dropoutAux ?? 0.7;
    this.aux1 = aux ? this.registerModule('aux1', new InceptionAux(g, this.inception4a.outChannels, classes, w, pAux)) : null;
    this.aux2 = aux ? this.registerModule('aux2', new InceptionAux(g, this.inception4d.outChannels, classes, w, pAux)) : null;
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.dropout = this.registerModule('dropout', new Dropout(opts.dropout ?? 0.2, { generator: g }));
    this.fc = this.registerModule('fc', new Linear(this.inception5b.outChannels, classes, { generator: g, initWeight: weightInit(g) }));
  }

  /** Logits [N, numClasses]; the auxiliary classifiers are not run. */
  forward(x: Tensor): Tensor {
    return this.run(x, false).logits;
  }

  /**
   * Logits and the auxiliary classifiers' logits (torchvision's GoogLeNetOutputs in training
   * mode), for a training loss such as loss(logits) + 0.3·(loss(aux1) + loss(aux2)). aux1 is the
   * output of the aux1 module (after inception4a); torchvision 0.14 returns it as aux_logits2
   * and aux2's as aux_logits1.
   */
  forwardWithAux(x: Tensor): GoogLeNetOutput {
    if (!this.aux1 || !this.aux2) throw new Error('GoogLeNet.forwardWithAux: this model was built with auxLogits: false; use forward()');
    if (!this.training) throw new Error('GoogLeNet.forwardWithAux: the auxiliary classifiers are for training; call train() first, or use forward() in eval mode');
    return this.run(x, true) as GoogLeNetOutput;
  }

  private run(x: Tensor, withAux: boolean): { logits: Tensor; aux1?: Tensor; aux2?: Tensor } {
    let y = this.maxpool2.forward(this.conv3.forward(this.conv2.forward(this.maxpool1.forward(this.conv1.forward(x)))));
    y = this.inception4a.forward(this.maxpool3.forward(this.inception3b.forward(this.inception3a.forward(y))));
    const aux1 = withAux ? this.aux1!.forward(y) : undefined;
    y = this.inception4d.forward(this.inception4c.forward(this.inception4b.forward(y)));
    const aux2 = withAux ? this.aux2!.forward(y) : undefined;
    y = this.inception5b.forward(this.inception5a.forward(this.maxpool4.forward(this.inception4e.forward(y))));
    const logits = this.fc.forward(this.dropout.forward(this.avgpool.forward(y).flatten(1)));
    return { logits, aux1, aux2 };
  }
}

/** torchvision's googlenet (transform_input=False). */
export function googlenet(opts: GoogLeNetOptions = {}): GoogLeNet {
  return new GoogLeNet(opts);
}
