// Bilinear CNN pooling head (Lin et al., 2015): X·Xᵀ / (H·W) over space, signed square root,
// L2 normalisation, then a linear classifier on the C² features (named fc, as the B-CNN code).
import { bilinearPool, normalize, signedSqrt, type Tensor } from '@drgrade/tensor';
import type { InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { autocastInput } from '../precision.ts';
import { Linear } from '../layers/linear.ts';
import type { HeadOutput } from './hbp.ts';

export interface BCNNOptions extends InitOptions {
  inChannels: number;
  numClasses?: number;
}

export class BCNN extends Module<Tensor, HeadOutput> {
  readonly fc: Linear;

  constructor(readonly opts: BCNNOptions) {
    super();
    this.fc = this.registerModule('fc', new Linear(opts.inChannels * opts.inChannels, opts.numClasses ?? 5, { generator: opts.generator }));
  }

  forward(x: Tensor): HeadOutput {
    const [n, c] = x.shape as [number, number];
    const pooled = bilinearPool(autocastInput('bilinearPool', x)).reshape([n, c * c]);
    const embedding = normalize(autocastInput('normalize', signedSqrt(autocastInput('signedSqrt', pooled))), { dim: 1 });
    return { logits: this.fc.forward(embedding), embedding };
  }
}
