// ResNet (He et al.) with torchvision's structure, parameter names and initialisation (conv1,
// bn1, layer1..layer4 of BasicBlock or Bottleneck, fc), so torchvision's ImageNet state dicts load
// with strict keys. The stages are public Sequentials: heads such as DFL's or PMG's call them.
import type { Generator, Tensor } from '@drgrade/tensor';
import { fanOut, generatorOf, kaimingNormal, type InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { ReLU } from '../layers/activation.ts';
import { BatchNorm2d } from '../layers/batchnorm.ts';
import { Sequential } from '../layers/containers.ts';
import { Conv2d } from '../layers/conv2d.ts';
import { Linear } from '../layers/linear.ts';
import { AdaptiveAvgPool2d, MaxPool2d } from '../layers/pooling.ts';
import { autocastInput, autocastInputs } from '../precision.ts';
import { divideWidth } from './width.ts';

export interface ResNetOptions extends InitOptions {
  /** Classes of the linear classifier `fc` (default 1000); 0 leaves it out (forward then returns the pooled features). */
  numClasses?: number;
  /** Divides every channel count (1: torchvision's sizes); a narrow net of the same depth and names for tests. */
  widthDivisor?: number;
}

/** torchvision's ResNet init: kaiming_normal_(mode='fan_out', nonlinearity='relu') convs, no bias. */
function conv(g: Generator, inChannels: number, outChannels: number, kernel: number, stride: number): Conv2d {
  return new Conv2d(inChannels, outChannels, kernel, {
    stride, padding: (kernel - 1) / 2, bias: false, initWeight: (s) => kaimingNormal(s, g, fanOut(s)),
  });
}

/** The 1x1 conv + batch norm (downsample.0, downsample.1) that matches the shortcut to the block's output. */
function downsample(g: Generator, inChannels: number, outChannels: number, stride: number): Sequential {
  return new Sequential(conv(g, inChannels, outChannels, 1, stride), new BatchNorm2d(outChannels));
}

/** Residual block: the branch plus the (downsampled) input, then ReLU. */
abstract class ResidualBlock extends Module {
  abstract readonly downsample: Sequential | null;

  protected abstract branch(x: Tensor): Tensor;

  forward(x: Tensor): Tensor {
    const identity = this.downsample ? this.downsample.forward(x) : x;
    const [branch, shortcut] = autocastInputs('add', [this.branch(x), identity]);
    return autocastInput('relu', branch.add(shortcut)).relu();
  }
}

/** Two 3x3 convs (ResNet-18/34); the first one strides. Inside blocks the ReLUs after bn1 (and bn2) run fused in the norms. */
export class BasicBlock extends ResidualBlock {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(g: Generator, inChannels: number, planes: number, stride: number) {
    super();
    this.conv1 = this.registerModule('conv1', conv(g, inChannels, planes, 3, stride));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes, { activation: 'relu' }));
    this.conv2 = this.registerModule('conv2', conv(g, planes, planes, 3, 1));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.downsample = stride !== 1 || inChannels !== planes ? this.registerModule('downsample', downsample(g, inChannels, planes, stride)) : null;
  }

  protected branch(x: Tensor): Tensor {
    return this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x))));
  }
}

/** 1x1 reduce, 3x3 (strided, as torchvision's "ResNet v1.5"), 1x1 expand by 4 (ResNet-50/101). */
export class Bottleneck extends ResidualBlock {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(g: Generator, inChannels: number, planes: number, stride: number) {
    super();
    const out = planes * Bottleneck.expansion;
    this.conv1 = this.registerModule('conv1', conv(g, inChannels, planes, 1, 1));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes, { activation: 'relu' }));
    this.conv2 = this.registerModule('conv2', conv(g, planes, planes, 3, stride));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes, { activation: 'relu' }));
    this.conv3 = this.registerModule('conv3', conv(g, planes, out, 1, 1));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(out));
    this.downsample = stride !== 1 || inChannels !== out ? this.registerModule('downsample', downsample(g, inChannels, out, stride)) : null;
  }

  protected branch(x: Tensor): Tensor {
    const y = this.bn2.forward(this.conv2.forward(this.bn1.forward(this.conv1.forward(x))));
    return this.bn3.forward(this.conv3.forward(y));
  }
}

export type ResNetBlock = 'basic' | 'bottleneck';

export class ResNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  /** The stem's ReLU, a module of its own as in torchvision (a hook on bn1 sees the map before it). */
  readonly relu: ReLU;
  readonly maxpool: MaxPool2d;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly fc: Linear | null;
  /** Output channels of layer1..layer4. */
  readonly stageChannels: [number, number, number, number];
  /** Channels of layer4's output (the classifier's input). */
  readonly numFeatures: number;

  constructor(readonly block: ResNetBlock, readonly layers: readonly [number, number, number, number], opts: ResNetOptions = {}) {
    super();
    const g = generatorOf(opts);
    const width = (c: number) => divideWidth('ResNet', c, opts.widthDivisor ?? 1);
    const Block = block === 'basic' ? BasicBlock : Bottleneck;
    let c = width(64);
    this.conv1 = this.registerModule('conv1', new Conv2d(3, c, 7, { stride: 2, padding: 3, bias: false, initWeight: (s) => kaimingNormal(s, g, fanOut(s)) }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(c));
    this.relu = this.registerModule('relu', new ReLU());
    this.maxpool = this.registerModule('maxpool', new MaxPool2d({ kernelSize: 3, stride: 2, padding: 1 }));
    const stage = (name: string, planes: number, blocks: number, stride: number) => {
      const s = new Sequential();
      for (let i = 0; i < blocks; i++) {
        s.add(String(i), new Block(g, c, width(planes), i === 0 ? stride : 1));
        c = width(planes) * Block.expansion;
      }
      return this.registerModule(name, s);
    };
    this.layer1 = stage('layer1', 64, layers[0], 1);
    const c1 = c;
    this.layer2 = stage('layer2', 128, layers[1], 2);
    const c2 = c;
    this.layer3 = stage('layer3', 256, layers[2], 2);
    const c3 = c;
    this.layer4 = stage('layer4', 512, layers[3], 2);
    this.stageChannels = [c1, c2, c3, c];
    this.numFeatures = c;
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    const classes = opts.numClasses ?? 1000;
    // torchvision leaves fc with PyTorch's default Linear init.
    this.fc = classes > 0 ? this.registerModule('fc', new Linear(c, classes, { generator: g })) : null;
  }

  /** The stem: conv1, bn1, relu, maxpool (stride 4 in all). */
  stem(x: Tensor): Tensor {
    return this.maxpool.forward(this.relu.forward(this.bn1.forward(this.conv1.forward(x))));
  }

  /** layer4's output [N, numFeatures, H/32, W/32]. */
  features(x: Tensor): Tensor {
    return this.layer4.forward(this.layer3.forward(this.layer2.forward(this.layer1.forward(this.stem(x)))));
  }

  /** Logits [N, numClasses], or the pooled features [N, numFeatures] without a classifier. */
  forward(x: Tensor): Tensor {
    const pooled = this.avgpool.forward(this.features(x)).flatten(1);
    return this.fc ? this.fc.forward(pooled) : pooled;
  }
}

/** torchvision's resnet18: BasicBlock, (2, 2, 2, 2). */
export function resnet18(opts: ResNetOptions = {}): ResNet {
  return new ResNet('basic', [2, 2, 2, 2], opts);
}

/** torchvision's resnet34: BasicBlock, (3, 4, 6, 3). */
export function resnet34(opts: ResNetOptions = {}): ResNet {
  return new ResNet('basic', [3, 4, 6, 3], opts);
}

/** torchvision's resnet50: Bottleneck, (3, 4, 6, 3). */
export function resnet50(opts: ResNetOptions = {}): ResNet {
  return new ResNet('bottleneck', [3, 4, 6, 3], opts);
}

/** torchvision's resnet101: Bottleneck, (3, 4, 23, 3). */
export function resnet101(opts: ResNetOptions = {}): ResNet {
  return new ResNet('bottleneck', [3, 4, 23, 3], opts);
}
