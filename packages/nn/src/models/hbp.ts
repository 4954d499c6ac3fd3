// Hierarchical bilinear pooling (Yu et al., ECCV 2018; official code's names proj0..2 and
// fc_concat): three 1x1 projections with bias to D, the interactions (U f1 ⊙ V f3),
// (U f1 ⊙ S f5), (V f3 ⊙ S f5), each summed over space, signed square root and L2-normalised,
// concatenated (3·D, the embedding) and classified by a linear layer.
import { adaptiveAvgPool2d, concat, hbpInteraction, interpolate, normalize, signedSqrt, type Tensor } from '@drgrade/tensor';
import type { InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { Conv2d } from '../layers/conv2d.ts';
import { Linear } from '../layers/linear.ts';
import { autocastInput, autocastInputs } from '../precision.ts';

/** What a bilinear head returns: class scores and the L2-normalised pooled vector (for metric losses). */
export interface HeadOutput {
  logits: Tensor;
  embedding: Tensor;
}

export interface HBPOptions extends InitOptions {
  /** Channels of the three input maps (one number: all three). */
  inChannels: number | [number, number, number];
  /** Projection width D (default 8192). */
  projDim?: number;
  numClasses?: number;
  /** One projection for all three maps (needs equal channels) instead of U, V, S. */
  shared?: boolean;
  /**
   * The one grid the maps are brought to: the coarsest (default) or finest input grid, or a size.
   * Larger maps are area-averaged down (adaptive average pooling), smaller ones upsampled.
   */
  grid?: 'coarsest' | 'finest' | [number, number];
  /** How smaller maps are upsampled (default 'nearest'). */
  upsample?: 'nearest' | 'bilinear';
}

export class HBP extends Module<Tensor[], HeadOutput> {
  readonly projections: Conv2d[];
  readonly fcConcat: Linear;
  readonly projDim: number;
  private readonly grid: HBPOptions['grid'];
  private readonly upsample: 'nearest' | 'bilinear';

  constructor(opts: HBPOptions) {
    super();
    const chans = typeof opts.inChannels === 'number' ? [opts.inChannels, opts.inChannels, opts.inChannels] : opts.inChannels;
    const d = this.projDim = opts.projDim ?? 8192;
    this.grid = opts.grid ?? 'coarsest';
    this.upsample = opts.upsample ?? 'nearest';
    const init = { generator: opts.generator };
    if (opts.shared) {
      if (chans.some((c) => c !== chans[0])) throw new Error(`HBP: a shared projection needs equal input channels, got [${chans.join(', ')}]`);
      const proj = this.registerModule('proj', new Conv2d(chans[0]!, d, 1, init));
      this.projections = [proj, proj, proj];
    } else {
      this.projections = chans.map((c, i) => this.registerModule(`proj${i}`, new Conv2d(c, d, 1, init)));
    }
    this.fcConcat = this.registerModule('fc_concat', new Linear(3 * d, opts.numClasses ?? 5, init));
  }

  private targetGrid(maps: Tensor[]): [number, number] {
    if (Array.isArray(this.grid)) return this.grid;
    const pick = this.grid === 'coarsest' ? Math.min : Math.max;
    return [pick(...maps.map((m) => m.shape[2]!)), pick(...maps.map((m) => m.shape[3]!))];
  }

  /**
   * Resizes before projecting: a 1x1 conv commutes with area averaging and with nearest or
   * bilinear resampling (each output pixel is an affine combination of input pixels with weights
   * summing to 1), and the inputs have fewer channels than D.
   */
  private resize(x: Tensor, [h, w]: [number, number]): Tensor {
    const [xh, xw] = [x.shape[2]!, x.shape[3]!];
    if (xh === h && xw === w) return x;
    if (xh >= h && xw >= w) return adaptiveAvgPool2d(autocastInput('adaptiveAvgPool2d', x), [h, w]);
    return interpolate(autocastInput('interpolate', x), { size: [h, w], mode: this.upsample });
  }

  forward(maps: Tensor[]): HeadOutput {
    if (maps.length !== 3) throw new Error(`HBP: expected three feature maps, got ${maps.length}`);
    const target = this.targetGrid(maps);
    const [u, v, s] = maps.map((m, i) => this.projections[i]!.forward(this.resize(m, target))) as [Tensor, Tensor, Tensor];
    const branch = (a: Tensor, b: Tensor) => {
      const z = hbpInteraction(...autocastInputs('hbpInteraction', [a, b]));
      return normalize(autocastInput('normalize', signedSqrt(autocastInput('signedSqrt', z))), { dim: 1 });
    };
    const embedding = concat(autocastInputs('concat', [branch(u, v), branch(u, s), branch(v, s)]), 1);
    return { logits: this.fcConcat.forward(embedding), embedding };
  }
}
