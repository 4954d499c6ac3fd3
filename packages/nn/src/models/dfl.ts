// DFL: a discriminative filter bank within a CNN (Wang, Morariu, Davis, CVPR 2018). Three
// classifiers share the backbone: the G-Stream on the deepest map (global average pooling and a
// linear layer), the P-Stream — k·M 1x1 "patch detector" filters on the mid-level map (conv4_x),
// each global-max-pooled to its best response, then a linear layer — and the side branch, which
// averages each class's k responses (cross-channel pooling) into that class's score. Names follow
// the PyTorch reimplementations (cls5, conv6, cls6).
import { tensor, type Tensor } from '@drgrade/tensor';
import type { InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { Conv2d } from '../layers/conv2d.ts';
import { Linear } from '../layers/linear.ts';
import { autocastInput } from '../precision.ts';
import type { ResNet } from './resnet.ts';
import { weightedScores, type SupervisedOutput } from './supervised-output.ts';

export interface DFLHeadOptions extends InitOptions {
  /** Channels of the mid-level map the filter bank reads (ResNet50 conv4_x, layer3: 1024). */
  midChannels: number;
  /** Channels of the deepest map the G-Stream reads (ResNet50 conv5_x, layer4: 2048). */
  deepChannels: number;
  numClasses?: number;
  /** Patch detectors per class, k (the paper: 10). */
  k?: number;
  /** Loss weights of the G-Stream, P-Stream and side branch (the paper: 1, 1, 0.1); the prediction adds the scores with the same weights. */
  weights?: [number, number, number];
}

export class DFLHead extends Module<[Tensor, Tensor], SupervisedOutput> {
  readonly cls5: Linear;
  readonly conv6: Conv2d;
  readonly cls6: Linear;
  readonly k: number;
  readonly numClasses: number;
  readonly weights: [number, number, number];

  constructor(opts: DFLHeadOptions) {
    super();
    const m = this.numClasses = opts.numClasses ?? 5;
    const k = this.k = opts.k ?? 10;
    this.weights = opts.weights ?? [1, 1, 0.1];
    const init = { generator: opts.generator };
    this.cls5 = this.registerModule('cls5', new Linear(opts.deepChannels, m, init));
    this.conv6 = this.registerModule('conv6', new Conv2d(opts.midChannels, k * m, 1, init));
    this.cls6 = this.registerModule('cls6', new Linear(k * m, m, init));
  }

  /** [mid-level map, deepest map] → the three streams' scores and their weighted sum. */
  forward([mid, deep]: [Tensor, Tensor]): SupervisedOutput {
    const n = mid.shape[0]!;
    const global = this.cls5.forward(autocastInput('mean', deep).mean([2, 3]));
    // Filters are class-major (class i owns channels i·k … i·k + k − 1), so a reshape groups them.
    const peaks = autocastInput('max', this.conv6.forward(mid)).max([2, 3]);
    const part = this.cls6.forward(peaks);
    const side = autocastInput('mean', peaks).reshape([n, this.numClasses, this.k]).mean(2);
    const [wg, wp, ws] = this.weights;
    const terms = [{ name: 'g-stream', logits: global, weight: wg }, { name: 'p-stream', logits: part, weight: wp }, { name: 'side', logits: side, weight: ws }];
    return { logits: weightedScores(terms), terms };
  }

  /**
   * The paper's non-random initialisation of the filter bank: class i's k filters become the
   * k-means centres of `patches[i]` (mid-level feature vectors of that class's most energetic
   * locations, see `peakPatches`), L2-normalised, with bias 0. A class with fewer than k patches
   * keeps random filters past the ones it can fill; a class with none keeps all of them.
   */
  async initializeFilterBank(patches: readonly (readonly Float32Array[])[]): Promise<void> {
    const c = this.conv6.inChannels;
    const weight = (await this.conv6.weight.toArray()) as Float32Array;
    const bias = (await this.conv6.bias!.toArray()) as Float32Array;
    patches.forEach((classPatches, i) => {
      if (i >= this.numClasses) throw new Error(`DFL: patches given for class ${i}, the head has ${this.numClasses} classes`);
      kMeans(classPatches, this.k).forEach((centre, j) => {
        if (centre.length !== c) throw new Error(`DFL: a patch has ${centre.length} channels, the filter bank reads ${c}`);
        weight.set(normalized(centre), (i * this.k + j) * c);
        bias[i * this.k + j] = 0;
      });
    });
    const w = tensor(weight, this.conv6.weight.shape);
    const b = tensor(bias, [bias.length]);
    this.conv6.weight.assign(w);
    this.conv6.bias!.assign(b);
    w.dispose();
    b.dispose();
  }
}

export interface DFLResNetOptions extends InitOptions {
  /** A ResNet without its classifier (numClasses 0). */
  backbone: ResNet;
  numClasses?: number;
  k?: number;
}

/** DFL on a ResNet, as the paper's ResNet-50 variant: the filter bank on conv4_x (layer3), the G-Stream on conv5_x (layer4). */
export class DFLResNet extends Module<Tensor, SupervisedOutput> {
  readonly backbone: ResNet;
  readonly head: DFLHead;

  constructor(opts: DFLResNetOptions) {
    super();
    this.backbone = this.registerModule('backbone', opts.backbone);
    const [, , mid, deep] = opts.backbone.stageChannels;
    this.head = this.registerModule('head', new DFLHead({ midChannels: mid, deepChannels: deep, numClasses: opts.numClasses, k: opts.k, generator: opts.generator }));
  }

  /** The conv4_x maps the filter bank reads (also what its initialisation samples). */
  midFeatures(x: Tensor): Tensor {
    const b = this.backbone;
    return b.layer3.forward(b.layer2.forward(b.layer1.forward(b.stem(x))));
  }

  forward(x: Tensor): SupervisedOutput {
    const mid = this.midFeatures(x);
    return this.head.forward([mid, this.backbone.layer4.forward(mid)]);
  }
}

function normalized(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  return norm > 0 ? v.map((x) => x / norm) : Float32Array.from(v);
}

/**
 * Each image's feature vectors at the peaks of its energy map (the L2 norm of the feature vector
 * at each location): locations no 3x3 neighbour exceeds (non-maximum suppression), strongest
 * first, at most `perImage` of them, each L2-normalised.
 */
export function peakPatches(maps: Float32Array, [n, c, h, w]: readonly number[], perImage: number): Float32Array[][] {
  const out: Float32Array[][] = [];
  for (let img = 0; img < n!; img++) {
    const base = img * c! * h! * w!;
    const energy = new Float32Array(h! * w!);
    for (let ch = 0; ch < c!; ch++) for (let p = 0; p < h! * w!; p++) energy[p]! += maps[base + ch * h! * w! + p]! ** 2;
    const peaks: number[] = [];
    for (let y = 0; y < h!; y++) {
      for (let x = 0; x < w!; x++) {
        const e = energy[y * w! + x]!;
        let isPeak = e > 0;
        for (let dy = -1; dy <= 1 && isPeak; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            if ((dy || dx) && yy >= 0 && yy < h! && xx >= 0 && xx < w! && energy[yy * w! + xx]! > e) { isPeak = false; break; }
          }
        }
        if (isPeak) peaks.push(y * w! + x);
      }
    }
    peaks.sort((a, b) => energy[b]! - energy[a]! || a - b);
    out.push(peaks.slice(0, perImage).map((p) => normalized(Float32Array.from({ length: c! }, (_, ch) => maps[base + ch * h! * w! + p]!))));
  }
  return out;
}

/**
 * Lloyd's k-means with farthest-point seeding from the first point (deterministic: callers list
 * the strongest patch first). Returns min(k, points) centres; an emptied cluster keeps its centre.
 */
function kMeans(points: readonly Float32Array[], k: number, iterations = 50): Float32Array[] {
  if (points.length === 0) return [];
  const dist = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);
  const centres = [Float32Array.from(points[0]!)];
  while (centres.length < Math.min(k, points.length)) {
    let best = 0, bestDist = -1;
    points.forEach((p, i) => {
      const d = Math.min(...centres.map((cn) => dist(p, cn)));
      if (d > bestDist) { best = i; bestDist = d; }
    });
    centres.push(Float32Array.from(points[best]!));
  }
  let assignment: number[] = [];
  for (let it = 0; it < iterations; it++) {
    const next = points.map((p) => {
      let best = 0;
      centres.forEach((cn, j) => { if (dist(p, cn) < dist(p, centres[best]!)) best = j; });
      return best;
    });
    if (next.every((a, i) => a === assignment[i])) break;
    assignment = next;
    centres.forEach((cn, j) => {
      const members = points.filter((_, i) => assignment[i] === j);
      if (members.length === 0) return;
      cn.fill(0);
      for (const p of members) p.forEach((v, i) => { cn[i]! += v / members.length; });
    });
  }
  return centres;
}
