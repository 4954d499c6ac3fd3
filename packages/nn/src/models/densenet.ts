// DenseNet (Huang et al.) with torchvision's structure and parameter names, so torchvision's
// ImageNet weights load by name, plus the DSOD variant (Shen et al.): a stem of three 3x3 convs
// and transitions that keep the resolution of the late blocks.
import { cast, channelBuffer, checkpoint, writeChannels, zeros, type Generator, type Tensor } from '@drgrade/tensor';
import { generatorOf, kaimingNormal, type InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { BatchNorm2d } from '../layers/batchnorm.ts';
import { Sequential } from '../layers/containers.ts';
import { Conv2d } from '../layers/conv2d.ts';
import { dropout } from '../layers/dropout.ts';
import { Linear } from '../layers/linear.ts';
import { AvgPool2d, MaxPool2d } from '../layers/pooling.ts';
import { autocast, autocastInput, isAutocastEnabled } from '../precision.ts';

export interface DenseNetOptions extends InitOptions {
  /** Channels each dense layer adds (k). */
  growthRate?: number;
  /** Dense layers per block. */
  blockConfig?: number[];
  /** Channels out of the stem. */
  numInitFeatures?: number;
  /** Bottleneck width factor: the 1x1 conv gives bnSize · k channels. */
  bnSize?: number;
  /** Classes of the linear classifier; 0 leaves it out (forward then returns the pooled features). */
  numClasses?: number;
  /** Dropout after each dense layer, in training mode. */
  dropRate?: number;
  /**
   * 'torchvision': 7x7 conv stride 2 + 3x3 max pool stride 2. 'dsod': 3x3 convs (stride 2 to
   * dsodStemWidth, to dsodStemWidth, to numInitFeatures) + 2x2 max pool, each conv BN-ReLU,
   * under the names stem_conv1..3 / stem_norm1..3 so torchvision's conv0/norm0 never load into them.
   */
  stem?: 'torchvision' | 'dsod';
  dsodStemWidth?: number;
  /**
   * Whether the last transition (between the last two blocks) ends with its 2x2 average pool, as
   * in torchvision. DSOD's transitions after the late blocks do not pool, so the deepest maps
   * keep the resolution of the block before.
   */
  poolLastTransitions?: boolean;
  /**
   * Recompute each dense layer's BN-ReLU-1x1 conv-BN-ReLU in backward instead of keeping the maps
   * inside it, as torchvision's memory_efficient (which recomputes up to the 1x1 conv): the BN's
   * output has all the block's earlier channels, so keeping it costs O(L²) memory per block, and
   * recomputing the second BN-ReLU too (cheap) drops the 1x1 conv's output as well. Outputs,
   * gradients and running statistics are the same; the 1x1 convs run twice.
   */
  memoryEfficient?: boolean;
}

type Resolved = Required<Omit<DenseNetOptions, 'generator'>>;

/** Missing options take torchvision's DenseNet defaults (densenet121). */
function resolve(o: DenseNetOptions): Resolved {
  return {
    growthRate: o.growthRate ?? 32, blockConfig: o.blockConfig ?? [6, 12, 24, 16], numInitFeatures: o.numInitFeatures ?? 64,
    bnSize: o.bnSize ?? 4, numClasses: o.numClasses ?? 1000, dropRate: o.dropRate ?? 0, stem: o.stem ?? 'torchvision',
    dsodStemWidth: o.dsodStemWidth ?? 64, poolLastTransitions: o.poolLastTransitions ?? true,
    memoryEfficient: o.memoryEfficient ?? false,
  };
}

/** torchvision's init for DenseNet: kaiming_normal_ (fan_in, ReLU gain) convs, BN 1 and 0, classifier bias 0. */
function convInit(g: Generator): (shape: number[]) => Tensor {
  return (shape) => kaimingNormal(shape, g);
}

/**
 * BN-ReLU-1x1 conv (bnSize·k) then BN-ReLU-3x3 conv (k): one dense layer's new features, from the
 * first inChannels channels of the block's buffer.
 */
class DenseLayer extends Module {
  readonly norm1: BatchNorm2d;
  readonly conv1: Conv2d;
  readonly norm2: BatchNorm2d;
  readonly conv2: Conv2d;

  constructor(inChannels: number, growth: number, bnSize: number, private readonly dropRate: number,
    private readonly memoryEfficient: boolean, private readonly generator: Generator) {
    super();
    const initWeight = convInit(generator);
    // torchvision has relu1/relu2 modules between these; the ReLUs run fused in the norms.
    this.norm1 = this.registerModule('norm1', new BatchNorm2d(inChannels, { activation: 'relu' }));
    this.conv1 = this.registerModule('conv1', new Conv2d(inChannels, bnSize * growth, 1, { bias: false, initWeight }));
    this.norm2 = this.registerModule('norm2', new BatchNorm2d(bnSize * growth, { activation: 'relu' }));
    this.conv2 = this.registerModule('conv2', new Conv2d(bnSize * growth, growth, 3, { padding: 1, bias: false, initWeight }));
  }

  forward(buffer: Tensor): Tensor {
    // The rerun in backward runs outside any autocast scope: it takes the forward pass's setting.
    const mixed = isAutocastEnabled();
    const bottleneck = (x: Tensor) => autocast(() => this.norm2.forward(this.conv1.forward(this.norm1.forwardPrefix(x))), { enabled: mixed });
    const b = this.memoryEfficient
      ? checkpoint(bottleneck, [buffer], [...this.norm1.parameters(), ...this.conv1.parameters(), ...this.norm2.parameters()])
      : bottleneck(buffer);
    const y = this.conv2.forward(b);
    return this.training && this.dropRate > 0 ? dropout(y, this.dropRate, this.generator) : y;
  }
}

/**
 * Layers named denselayer1..L; each sees the concatenation of the block input and all earlier
 * layers' outputs. That concatenation is one buffer of the block's output width, preallocated:
 * the input and each layer's new channels are written into it once (writeChannels), and layer i
 * reads its first inChannels channels in place. So a block copies and keeps O(L) channels, not
 * the O(L²) of a concatenation per layer (torchvision concatenates again for every layer).
 */
class DenseBlock extends Module {
  private readonly layers: DenseLayer[] = [];
  private readonly outChannels: number;

  constructor(numLayers: number, private readonly inChannels: number, growth: number, bnSize: number, dropRate: number,
    memoryEfficient: boolean, generator: Generator) {
    super();
    this.outChannels = inChannels + numLayers * growth;
    for (let i = 0; i < numLayers; i++) {
      const layer = new DenseLayer(inChannels + i * growth, growth, bnSize, dropRate, memoryEfficient, generator);
      this.layers.push(this.registerModule(`denselayer${i + 1}`, layer));
    }
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) throw new Error(`dense block: expected an input [N, ${this.inChannels}, H, W], got ${x.describe()}`);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    // The buffer takes the dtype autocast gives the block's input; every layer's channels join it in that dtype.
    const input = autocastInput('writeChannels', x);
    let buffer = writeChannels(channelBuffer([n, this.outChannels, h, w], input.dtype), input, 0);
    let filled = c;
    for (const layer of this.layers) {
      const y = layer.forward(buffer);
      buffer = writeChannels(buffer, y.dtype === buffer.dtype ? y : cast(y, buffer.dtype), filled);
      filled += y.shape[1]!;
    }
    return buffer;
  }
}

/** BN-ReLU-1x1 conv halving the channels, then (optionally) 2x2 average pooling. */
class Transition extends Module {
  readonly norm: BatchNorm2d;
  readonly conv: Conv2d;
  readonly pool: AvgPool2d | null;

  constructor(inChannels: number, outChannels: number, pool: boolean, generator: Generator) {
    super();
    this.norm = this.registerModule('norm', new BatchNorm2d(inChannels, { activation: 'relu' }));
    this.conv = this.registerModule('conv', new Conv2d(inChannels, outChannels, 1, { bias: false, initWeight: convInit(generator) }));
    this.pool = pool ? this.registerModule('pool', new AvgPool2d({ kernelSize: 2, stride: 2 })) : null;
  }

  forward(x: Tensor): Tensor {
    const y = this.conv.forward(this.norm.forward(x));
    return this.pool ? this.pool.forward(y) : y;
  }
}

export class DenseNet extends Module {
  readonly features: Sequential;
  readonly classifier: Linear | null;
  readonly options: Resolved;
  /** Output channels of every child of `features` by name (conv0, denseblock1, transition1, ..., norm5). */
  readonly stageChannels: Record<string, number> = {};
  /** Channels of the final feature map (the classifier's input). */
  readonly numFeatures: number;

  constructor(opts: DenseNetOptions = {}) {
    super();
    const o = this.options = resolve(opts);
    const g = generatorOf(opts);
    const initWeight = convInit(g);
    const f = this.features = this.registerModule('features', new Sequential());
    const add = (name: string, m: Module, channels: number) => { f.add(name, m); this.stageChannels[name] = channels; };
    if (o.stem === 'torchvision') {
      add('conv0', new Conv2d(3, o.numInitFeatures, 7, { stride: 2, padding: 3, bias: false, initWeight }), o.numInitFeatures);
      add('norm0', new BatchNorm2d(o.numInitFeatures, { activation: 'relu' }), o.numInitFeatures);
      add('pool0', new MaxPool2d({ kernelSize: 3, stride: 2, padding: 1 }), o.numInitFeatures);
    } else {
      const w = o.dsodStemWidth;
      const convs: [number, number, number][] = [[3, w, 2], [w, w, 1], [w, o.numInitFeatures, 1]];
      convs.forEach(([cin, cout, stride], i) => {
        add(`stem_conv${i + 1}`, new Conv2d(cin, cout, 3, { stride, padding: 1, bias: false, initWeight }), cout);
        add(`stem_norm${i + 1}`, new BatchNorm2d(cout, { activation: 'relu' }), cout);
      });
      add('pool0', new MaxPool2d({ kernelSize: 2, stride: 2 }), o.numInitFeatures);
    }
    let c = o.numInitFeatures;
    o.blockConfig.forEach((layers, i) => {
      add(`denseblock${i + 1}`, new DenseBlock(layers, c, o.growthRate, o.bnSize, o.dropRate, o.memoryEfficient, g), c + layers * o.growthRate);
      c += layers * o.growthRate;
      if (i < o.blockConfig.length - 1) {
        const last = i === o.blockConfig.length - 2;
        add(`transition${i + 1}`, new Transition(c, Math.floor(c / 2), !last || o.poolLastTransitions, g), Math.floor(c / 2));
        c = Math.floor(c / 2);
      }
    });
    // torchvision applies F.relu after norm5 before pooling; fused here, so the 'norm5' stage is post-ReLU.
    add('norm5', new BatchNorm2d(c, { activation: 'relu' }), c);
    this.numFeatures = c;
    this.classifier = o.numClasses > 0
      ? this.registerModule('classifier', new Linear(c, o.numClasses, { generator: g, initBias: (s) => zeros(s) }))
      : null;
  }

  /** Logits [N, numClasses], or the pooled features [N, numFeatures] without a classifier. */
  forward(x: Tensor): Tensor {
    const pooled = autocastInput('mean', this.features.forward(x)).mean([2, 3]);
    return this.classifier ? this.classifier.forward(pooled) : pooled;
  }

  /**
   * The outputs of the named children of `features` ('denseblock2', 'transition3', 'norm5', ...),
   * in the order asked; layers after the last one named are not run.
   */
  forwardStages(x: Tensor, stages: readonly string[]): Tensor[] {
    return this.features.forwardCollect(x, stages);
  }
}

/** torchvision's densenet121: k 32, blocks (6, 12, 24, 16), 64 initial features. */
export function densenet121(opts: DenseNetOptions = {}): DenseNet {
  return new DenseNet({ ...opts, growthRate: opts.growthRate ?? 32, blockConfig: opts.blockConfig ?? [6, 12, 24, 16], numInitFeatures: opts.numInitFeatures ?? 64 });
}

/** torchvision's densenet169: k 32, blocks (6, 12, 32, 32), 64 initial features. */
export function densenet169(opts: DenseNetOptions = {}): DenseNet {
  return new DenseNet({ ...opts, growthRate: opts.growthRate ?? 32, blockConfig: opts.blockConfig ?? [6, 12, 32, 32], numInitFeatures: opts.numInitFeatures ?? 64 });
}

/** torchvision's densenet201: k 32, blocks (6, 12, 48, 32), 64 initial features. */
export function densenet201(opts: DenseNetOptions = {}): DenseNet {
  return new DenseNet({ ...opts, growthRate: opts.growthRate ?? 32, blockConfig: opts.blockConfig ?? [6, 12, 48, 32], numInitFeatures: opts.numInitFeatures ?? 64 });
}
