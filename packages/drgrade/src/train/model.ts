// The network a configuration describes, with the extra pieces the paper's loss needs: a linear
// embedding of the pooled vector (what SoftTriple sees) and the SoftTriple centres.
import { Generator, randn, type Tensor } from '@drgrade/tensor';
import {
  AGNet, alexnet, DenseNet, DFLResNet, DrGradeNet, googlenet, Linear, Module, PMGResNet, resnet101, resnet18, resnet34, resnet50,
  VGG16_CONFIG, VGGBCNN, VGGHBP, type LossTerm, type VGGConfig,
} from '@drgrade/nn';
import type { DrgradeConfig } from '../config/index.ts';

export interface ModelOutput {
  logits: Tensor;
  /** The metric-learning embedding, or null when the configuration has no metric loss. */
  embedding: Tensor | null;
  /** The classifiers the classification loss sums over: the prediction alone, or DFL's, PMG's and AG_Net's several. */
  terms: LossTerm[];
}

type Net = DrGradeNet | VGGHBP | VGGBCNN | DenseNet | DFLResNet | PMGResNet | AGNet;

const RESNETS = { 18: resnet18, 34: resnet34, 50: resnet50, 101: resnet101 } as const;

function vggConfig(divisor: number): VGGConfig {
  return VGG16_CONFIG.map((v) => (v === 'M' ? 'M' : Math.max(1, Math.round(v / divisor)))) as VGGConfig;
}

/** The configured ResNet without its classifier: DFL's and PMG's heads classify. */
function resnet(cfg: DrgradeConfig, generator: Generator) {
  const r = cfg.model.resnet;
  return RESNETS[r.depth]({ numClasses: 0, widthDivisor: r.widthDivisor, generator });
}

function buildNet(cfg: DrgradeConfig, generator: Generator): Net {
  const m = cfg.model;
  const d = m.densenet;
  const backbone = {
    growthRate: d.growthRate, blockConfig: d.blockConfig, bnSize: d.bnSize, stem: d.stem, dropRate: d.dropRate, memoryEfficient: d.memoryEfficient,
    numInitFeatures: d.numInitFeatures, poolLastTransitions: d.poolLastTransitions,
    // DSOD's stem is (w, w, 2w) channels: its width is half the features it hands the first block.
    ...(d.stem === 'dsod' ? { dsodStemWidth: Math.max(1, Math.round(d.numInitFeatures / 2)) } : {}),
  };
  switch (m.type) {
    case 'densenet-fpn-hbp':
      return new DrGradeNet({ backbone, fpnChannels: m.fpn.channels, projDim: m.hbp.dim, numClasses: m.numClasses, grid: m.hbp.grid, generator });
    case 'densenet':
      return new DenseNet({ ...backbone, numClasses: m.numClasses, generator });
    case 'vgg16-hbp':
      return new VGGHBP({ cfg: vggConfig(m.vgg.widthDivisor), projDim: m.hbp.dim, numClasses: m.numClasses, generator });
    case 'vgg16-bcnn':
      return new VGGBCNN({ cfg: vggConfig(m.vgg.widthDivisor), numClasses: m.numClasses, generator });
    case 'resnet-dfl':
      return new DFLResNet({ backbone: resnet(cfg, generator), numClasses: m.numClasses, k: m.dfl.k, generator });
    case 'resnet-pmg':
      return new PMGResNet({ backbone: resnet(cfg, generator), featureSize: m.pmg.featureSize, numClasses: m.numClasses, generator });
    case 'alexnet-googlenet': {
      const common = { numClasses: m.numClasses, widthDivisor: m.agNet.widthDivisor, generator };
      return new AGNet({ alexnet: alexnet(common), googlenet: googlenet({ ...common, auxLogits: true }), auxWeight: m.agNet.auxWeight });
    }
  }
}

export class GradingModel extends Module<Tensor, ModelOutput> {
  readonly net: Net;
  readonly embed: Linear | null;
  readonly centers: Tensor | null;

  constructor(readonly config: DrgradeConfig, seed = config.seed) {
    super();
    const generator = new Generator(seed);
    this.net = this.registerModule('net', buildNet(config, generator));
    const metric = config.loss.metric;
    const pooled = this.pooledDim();
    if (metric.weight > 0 && pooled === 0) {
      throw new Error(`config: loss.metric.weight > 0 needs a model with a pooled embedding (densenet-fpn-hbp, vgg16-hbp or vgg16-bcnn), not ${config.model.type}`);
    }
    if (metric.weight > 0) {
      this.embed = this.registerModule('embed', new Linear(pooled, config.model.embeddingDim, { generator }));
      // SoftTriple centres in the official [dim, C·K] layout; columns are normalised in the loss.
      this.centers = this.registerParameter('centers', randn([config.model.embeddingDim, config.model.numClasses * metric.K], { generator, std: 1 }));
    } else {
      this.embed = null;
      this.centers = null;
    }
  }

  private pooledDim(): number {
    const n = this.net;
    if (n instanceof DrGradeNet) return 3 * n.hbp.projDim;
    if (n instanceof VGGHBP) return 3 * n.hbp.projDim;
    if (n instanceof VGGBCNN) return n.bcnn.opts.inChannels ** 2;
    return 0;
  }

  forward(x: Tensor): ModelOutput {
    const out = this.net.forward(x);
    if ('terms' in out) return { logits: out.logits, embedding: null, terms: out.terms };
    const logits = 'logits' in out ? out.logits : out;
    const embedding = 'embedding' in out && this.embed ? this.embed.forward(out.embedding) : null;
    return { logits, embedding, terms: [{ name: 'logits', logits, weight: 1 }] };
  }

  /** Parameters in three groups: the head (HBP/B-CNN projections, DFL/PMG heads, classifier, embedding), the centres, and the rest. */
  parameterGroups(): { backbone: Tensor[]; head: Tensor[]; centers: Tensor[] } {
    const backbone: Tensor[] = [], head: Tensor[] = [];
    for (const [name, p] of this.namedParameters()) {
      if (p === this.centers) continue;
      if (/^net\.(hbp|bcnn|classifier|head)\.|^embed\./.test(name)) head.push(p); else backbone.push(p);
    }
    return { backbone, head, centers: this.centers ? [this.centers] : [] };
  }

  /**
   * Default Grad-CAM layer, by module name: a map the pooling head reads — the coarsest pyramid
   * level (P5, whose grid HBP pools on), VGG's relu5_3, or DenseNet's final features. For the
   * heads with several classifiers, the deepest map every classifier of the prediction is reached
   * through: DFL's conv4_x (layer3: the filter bank reads it, and conv5_x under the G-Stream),
   * PMG's conv3_x (layer2: its first classifier reads it, the deeper stages grow from it). AG_Net
   * has no map both members share: GoogLeNet's last inception block, which shows GoogLeNet's
   * share of the averaged prediction (pass --layer net.alexnet.features.11 for AlexNet's).
   */
  defaultCamLayer(): string {
    const n = this.net;
    if (n instanceof DrGradeNet) return `net.fpn.layer_blocks.${n.stages.length - 1}`;
    if (n instanceof DFLResNet) return 'net.backbone.layer3';
    if (n instanceof PMGResNet) return 'net.backbone.layer2';
    if (n instanceof AGNet) return 'net.googlenet.inception5b';
    if (n instanceof VGGHBP || n instanceof VGGBCNN) return 'net.features.29';
    return 'net.features';
  }
}
