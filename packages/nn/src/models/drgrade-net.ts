// The paper's model (Fig. 1): a DenseNet169 backbone with the DSOD stem and unpooled late
// transition, an FPN on three of its stages, and an HBP head on the three pyramid maps.
import type { Tensor } from '@drgrade/tensor';
import type { InitOptions } from '../init.ts';
import { Module } from '../module.ts';
import { DenseNet, type DenseNetOptions } from './densenet.ts';
import { FPN } from './fpn.ts';
import { HBP, type HBPOptions, type HeadOutput } from './hbp.ts';

export interface DrGradeNetOptions extends InitOptions {
  /**
   * Backbone options over the paper's: DenseNet169 (k 32, blocks 6/12/32/32, bottleneck 4), DSOD
   * stem 64-64-128 (so 128 initial features), last transition without pooling. To start from
   * torchvision's ImageNet DenseNet169, use stem 'torchvision' and numInitFeatures 64 (or keep the
   * DSOD stem with numInitFeatures 64: everything but the stem then loads).
   */
  backbone?: Omit<DenseNetOptions, 'numClasses' | 'generator'>;
  /** Backbone stages feeding the FPN, finest first (default C3, C4, C5: denseblock2, denseblock3, norm5). */
  stages?: [string, string, string];
  /** FPN width (default 256). */
  fpnChannels?: number;
  /** HBP projection width D (default 8192). */
  projDim?: number;
  numClasses?: number;
  sharedProjection?: boolean;
  /** The grid HBP brings the pyramid maps to (default the coarsest). */
  grid?: HBPOptions['grid'];
}

export class DrGradeNet extends Module<Tensor, HeadOutput> {
  readonly backbone: DenseNet;
  readonly fpn: FPN;
  readonly hbp: HBP;
  readonly stages: [string, string, string];

  constructor(opts: DrGradeNetOptions = {}) {
    super();
    const generator = opts.generator;
    const b = opts.backbone ?? {};
    this.backbone = this.registerModule('backbone', new DenseNet({
      growthRate: b.growthRate ?? 32, blockConfig: b.blockConfig ?? [6, 12, 32, 32], bnSize: b.bnSize ?? 4,
      stem: b.stem ?? 'dsod', dsodStemWidth: b.dsodStemWidth ?? 64, numInitFeatures: b.numInitFeatures ?? 128,
      poolLastTransitions: b.poolLastTransitions ?? false, dropRate: b.dropRate, memoryEfficient: b.memoryEfficient, numClasses: 0, generator,
    }));
    this.stages = opts.stages ?? ['denseblock2', 'denseblock3', 'norm5'];
    const inChannels = this.stages.map((s) => {
      const c = this.backbone.stageChannels[s];
      if (c === undefined) throw new Error(`DrGradeNet: the backbone has no stage '${s}' (stages: ${Object.keys(this.backbone.stageChannels).join(', ')})`);
      return c;
    });
    this.fpn = this.registerModule('fpn', new FPN({ inChannels, outChannels: opts.fpnChannels ?? 256, generator }));
    this.hbp = this.registerModule('hbp', new HBP({
      inChannels: this.fpn.outChannels, projDim: opts.projDim ?? 8192, numClasses: opts.numClasses ?? 5,
      shared: opts.sharedProjection ?? false, grid: opts.grid ?? 'coarsest', generator,
    }));
  }

  forward(x: Tensor): HeadOutput {
    return this.hbp.forward(this.fpn.forward(this.backbone.forwardStages(x, this.stages)));
  }
}
