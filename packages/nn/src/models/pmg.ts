// PMG: progressive multi-granularity training of jigsaw patches (Du et al., ECCV 2020), the head
// of the official code (PRIS-CV/PMG-Progressive-Multi-Granularity-Training) and its jigsaw
// generator. Each of the last three backbone stages gets a conv block (1x1 conv to featureSize,
// 3x3 conv to blockChannels, each conv + BN + ReLU), a global max pool and a classifier (BN,
// linear to featureSize, BN, ELU, linear to the classes); a fourth classifier reads the three
// pooled vectors concatenated. Training runs one step per classifier, the first three on jigsaw
// images of falling granularity (see the trainer's PMG scheme); the prediction adds all four.
import { concat, tensor, type Generator, type Tensor } from '@drgrade/tensor';
import type { InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { BatchNorm2d } from '../layers/batchnorm.ts';
import { ConvBnReLU } from '../layers/conv-bn-relu.ts';
import { Linear } from '../layers/linear.ts';
import { ELU } from '../layers/activation.ts';
import { Sequential } from '../layers/containers.ts';
import { autocastInput, autocastInputs } from '../precision.ts';
import type { ResNet } from './resnet.ts';
import type { SupervisedOutput } from './supervised-output.ts';

export interface PMGHeadOptions extends InitOptions {
  /** Channels of the three stage maps, finest first (ResNet50 layer2..layer4: 512, 1024, 2048). */
  inChannels: [number, number, number];
  /** Width of the conv blocks' 1x1 conv and of the classifiers' hidden layer (official: 512). */
  featureSize?: number;
  /** Channels each conv block hands its pooling (official: half the deepest stage's, 1024). */
  blockChannels?: number;
  numClasses?: number;
  /** Loss weights of the four classifiers' steps (official: 1, 1, 1, 2). */
  weights?: [number, number, number, number];
}

/** The official BasicConv: conv, BN with momentum 0.01, ReLU; "same" padding. */
function basicConv(cin: number, cout: number, kernel: number, init: InitOptions): ConvBnReLU {
  return new ConvBnReLU(cin, cout, kernel, { padding: (kernel - 1) / 2, norm: { momentum: 0.01 }, ...init });
}

/** torch.nn.BatchNorm1d on [N, C]: BatchNorm2d over [N, C, 1, 1] computes the same statistics and keeps the same state dict names. */
class BatchNorm1d extends BatchNorm2d {
  override forward(x: Tensor): Tensor {
    if (x.rank !== 2) throw new Error(`BatchNorm1d(${this.numFeatures}): expected an input [N, ${this.numFeatures}], got ${x.describe()}`);
    return super.forward(x.reshape([x.shape[0]!, x.shape[1]!, 1, 1])).reshape([x.shape[0]!, x.shape[1]!]);
  }
}

/** BN, linear to the hidden width, BN, ELU, linear to the classes (indices 0, 1, 2, 4 hold weights, as the official Sequential). */
function classifier(cin: number, hidden: number, classes: number, init: InitOptions): Sequential {
  return new Sequential(new BatchNorm1d(cin), new Linear(cin, hidden, init), new BatchNorm1d(hidden), new ELU(), new Linear(hidden, classes, init));
}

export class PMGHead extends Module<[Tensor, Tensor, Tensor], SupervisedOutput> {
  readonly convBlocks: Sequential[];
  readonly classifiers: Sequential[];
  readonly classifierConcat: Sequential;
  readonly weights: [number, number, number, number];

  constructor(opts: PMGHeadOptions) {
    super();
    const fs = opts.featureSize ?? 512;
    const block = opts.blockChannels ?? opts.inChannels[2] / 2;
    const classes = opts.numClasses ?? 5;
    const init = { generator: opts.generator };
    this.weights = opts.weights ?? [1, 1, 1, 2];
    this.convBlocks = opts.inChannels.map((c, i) => this.registerModule(`conv_block${i + 1}`,
      new Sequential(basicConv(c, fs, 1, init), basicConv(fs, block, 3, init))));
    this.classifiers = [0, 1, 2].map((i) => this.registerModule(`classifier${i + 1}`, classifier(block, fs, classes, init)));
    this.classifierConcat = this.registerModule('classifier_concat', classifier(3 * block, fs, classes, init));
  }

  /** The three stage maps, finest first → the four classifiers' scores (terms) and their sum (logits). */
  forward(maps: [Tensor, Tensor, Tensor]): SupervisedOutput {
    const pooled = maps.map((m, i) => autocastInput('max', this.convBlocks[i]!.forward(m)).max([2, 3]));
    const scores = [...pooled.map((p, i) => this.classifiers[i]!.forward(p)), this.classifierConcat.forward(concat(autocastInputs('concat', pooled), 1))];
    const names = ['stage3', 'stage4', 'stage5', 'concat'];
    return {
      logits: scores.slice(1).reduce((s, t) => { const [a, b] = autocastInputs('add', [s, t]); return a.add(b); }, scores[0]!),
      terms: scores.map((logits, i) => ({ name: names[i]!, logits, weight: this.weights[i]! })),
    };
  }
}

export interface PMGResNetOptions extends InitOptions {
  /** A ResNet without its classifier (numClasses 0). */
  backbone: ResNet;
  featureSize?: number;
  numClasses?: number;
}

/** PMG on a ResNet, as the official code: the head on layer2, layer3 and layer4 (stages 3-5). */
export class PMGResNet extends Module<Tensor, SupervisedOutput> {
  readonly backbone: ResNet;
  readonly head: PMGHead;

  constructor(opts: PMGResNetOptions) {
    super();
    this.backbone = this.registerModule('backbone', opts.backbone);
    const [, c3, c4, c5] = opts.backbone.stageChannels;
    this.head = this.registerModule('head', new PMGHead({ inChannels: [c3, c4, c5], featureSize: opts.featureSize, numClasses: opts.numClasses, generator: opts.generator }));
  }

  forward(x: Tensor): SupervisedOutput {
    const b = this.backbone;
    const c3 = b.layer2.forward(b.layer1.forward(b.stem(x)));
    const c4 = b.layer3.forward(c3);
    return this.head.forward([c3, c4, b.layer4.forward(c4)]);
  }
}

/** A uniformly random order of n² tiles (Fisher–Yates): `jigsaw` puts tile order[j] at position j. */
export function jigsawOrder(n: number, generator: Generator): number[] {
  const order = Array.from({ length: n * n }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = generator.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * PMG's jigsaw generator: the images cut into n×n tiles of ⌊H/n⌋×⌊W/n⌋ pixels (row-major tile
 * numbers), tile order[j] moved to position j, the same order for the whole batch; rows and
 * columns past the last whole tile stay where they are. One gather over the flattened pixels,
 * so the gradient flows back through the same permutation.
 */
export function jigsaw(x: Tensor, n: number, order: readonly number[]): Tensor {
  if (x.rank !== 4) throw new Error(`jigsaw: expected images [N, C, H, W], got ${x.describe()}`);
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const bh = Math.floor(H / n), bw = Math.floor(W / n);
  if (bh === 0 || bw === 0) throw new Error(`jigsaw: ${H}x${W} images cannot be cut into ${n}x${n} tiles`);
  if (order.length !== n * n || [...order].sort((a, b) => a - b).some((v, i) => v !== i)) {
    throw new Error(`jigsaw: order must be a permutation of 0..${n * n - 1}, got [${order.join(', ')}]`);
  }
  const index = new Int32Array(H * W);
  for (let y = 0; y < H; y++) {
    for (let xx = 0; xx < W; xx++) {
      const ty = Math.floor(y / bh), tx = Math.floor(xx / bw);
      if (ty >= n || tx >= n) { index[y * W + xx] = y * W + xx; continue; }
      const src = order[ty * n + tx]!;
      index[y * W + xx] = (Math.floor(src / n) * bh + (y % bh)) * W + (src % n) * bw + (xx % bw);
    }
  }
  // The index stays alive for the backward pass; the caller's tidy scope releases it.
  return x.reshape([N, C, H * W]).indexSelect(2, tensor(index, [H * W])).reshape([N, C, H, W]);
}
