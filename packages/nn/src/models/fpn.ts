// Feature Pyramid Network (Lin et al.) as torchvision.ops.FeaturePyramidNetwork, with its names
// (inner_blocks.i.0, layer_blocks.i.0) and init, so its weights and outputs carry over.
import { interpolate, zeros, type Tensor } from '@drgrade/tensor';
import { generatorOf, kaimingUniform, type InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { ModuleList, Sequential } from '../layers/containers.ts';
import { Conv2d } from '../layers/conv2d.ts';
import { autocastInput, autocastInputs } from '../precision.ts';

export interface FPNOptions extends InitOptions {
  /** Channels of the input maps, finest first (e.g. C3, C4, C5). */
  inChannels: number[];
  /** Channels of every output map (default 256). */
  outChannels?: number;
}

export class FPN extends Module<Tensor[], Tensor[]> {
  readonly innerBlocks: ModuleList<Sequential>;
  readonly layerBlocks: ModuleList<Sequential>;
  readonly outChannels: number;

  constructor(opts: FPNOptions) {
    super();
    if (opts.inChannels.length === 0) throw new Error('FPN: inChannels is empty');
    const out = this.outChannels = opts.outChannels ?? 256;
    const g = generatorOf(opts);
    // torchvision: kaiming_uniform_(a=1), bias 0.
    const conv = (cin: number, k: number) => new Conv2d(cin, out, k, {
      padding: (k - 1) / 2, initWeight: (s) => kaimingUniform(s, 1, g), initBias: (s) => zeros(s),
    });
    // Each conv sits in a one-element Sequential, as torchvision's Conv2dNormActivation, hence the '.0'.
    this.innerBlocks = this.registerModule('inner_blocks', new ModuleList(opts.inChannels.map((c) => new Sequential(conv(c, 1)))));
    this.layerBlocks = this.registerModule('layer_blocks', new ModuleList(opts.inChannels.map(() => new Sequential(conv(out, 3)))));
  }

  /**
   * Maps finest first → pyramid maps of the same sizes: lateral 1x1 convs, a top-down path
   * that upsamples (nearest) the coarser sum to the finer map's size and adds it, and a 3x3
   * conv on every level.
   */
  forward(maps: Tensor[]): Tensor[] {
    const n = this.innerBlocks.items.length;
    if (maps.length !== n) throw new Error(`FPN: expected ${n} feature maps, got ${maps.length}`);
    let last = this.innerBlocks.items[n - 1]!.forward(maps[n - 1]!);
    const results = [this.layerBlocks.items[n - 1]!.forward(last)];
    for (let i = n - 2; i >= 0; i--) {
      const lateral = this.innerBlocks.items[i]!.forward(maps[i]!);
      const [h, w] = [lateral.shape[2]!, lateral.shape[3]!];
      const topDown = last.shape[2] === h && last.shape[3] === w ? last : interpolate(autocastInput('interpolate', last), { size: [h, w], mode: 'nearest' });
      const [a, b] = autocastInputs('add', [lateral, topDown]);
      last = a.add(b);
      results.unshift(this.layerBlocks.items[i]!.forward(last));
    }
    return results;
  }
}
