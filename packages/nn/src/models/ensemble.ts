// AG_Net (Porwal et al., IDRiD challenge, MIA 2020): AlexNet and GoogLeNet, each trained as a
// grader, their predictions fused by averaging the class probabilities.
import { stack, type Tensor } from '@drgrade/tensor';
import { Module } from '../module.ts';
import { autocastInput } from '../precision.ts';
import type { AlexNet } from './alexnet.ts';
import type { GoogLeNet } from './googlenet.ts';
import type { LossTerm, SupervisedOutput } from './supervised-output.ts';

/**
 * log(mean_i softmax(logits_i)) over the members: its softmax is the averaged probabilities
 * exactly (they already sum to 1), so the fused scores go wherever logits go (argmax, softmax,
 * cross-entropy). Computed as logsumexp over the members' log-softmax, which never takes the log
 * of an underflowed probability.
 */
export function averageProbabilities(logits: readonly Tensor[]): Tensor {
  if (logits.length === 0) throw new Error('averageProbabilities: no members');
  return stack(logits.map((l) => autocastInput('logSoftmax', l).logSoftmax(1)), 0).logsumexp(0).sub(Math.log(logits.length));
}

export interface AGNetOptions {
  alexnet: AlexNet;
  /** Built with its auxiliary classifiers (auxLogits), which train with it. */
  googlenet: GoogLeNet;
  /** Weight of each auxiliary classifier's loss (GoogLeNet paper: 0.3). */
  auxWeight?: number;
}

/**
 * The two graders side by side. Each member's loss trains only its own parameters, so summing
 * them in one objective trains each as its own grader; the prediction averages their probabilities.
 */
export class AGNet extends Module<Tensor, SupervisedOutput> {
  readonly alexnet: AlexNet;
  readonly googlenet: GoogLeNet;
  readonly auxWeight: number;

  constructor(opts: AGNetOptions) {
    super();
    this.alexnet = this.registerModule('alexnet', opts.alexnet);
    this.googlenet = this.registerModule('googlenet', opts.googlenet);
    this.auxWeight = opts.auxWeight ?? 0.3;
  }

  forward(x: Tensor): SupervisedOutput {
    const a = this.alexnet.forward(x);
    const terms: LossTerm[] = [{ name: 'alexnet', logits: a, weight: 1 }];
    if (this.training) {
      const g = this.googlenet.forwardWithAux(x);
      terms.push({ name: 'googlenet', logits: g.logits, weight: 1 },
        { name: 'googlenet.aux1', logits: g.aux1, weight: this.auxWeight }, { name: 'googlenet.aux2', logits: g.aux2, weight: this.auxWeight });
    } else {
      terms.push({ name: 'googlenet', logits: this.googlenet.forward(x), weight: 1 });
    }
    return { logits: averageProbabilities([a, terms[1]!.logits]), terms };
  }
}
