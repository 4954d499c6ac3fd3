// A seed ensemble: several models of one recipe, trained apart with different seeds, graded as
// one by averaging their class probabilities. On a few hundred photographs one model's held-out
// kappa moves by up to 0.17 with the seed alone (docs/real-data.md); the average of several
// depends less on any one seed's luck. Members are trained as usual (`drgrade train --set seed=N`)
// and joined into one model file by `drgrade ensemble`.
import { averageProbabilities, Module, ModuleList } from '@drgrade/nn';
import type { Tensor } from '@drgrade/tensor';
import type { DrgradeConfig } from '../config/index.ts';
import { GradingModel, type ModelOutput } from './model.ts';

export class GradingEnsemble extends Module<Tensor, ModelOutput> {
  readonly members: GradingModel[];

  /** Members of `config` with the given seeds (state-dict names members.0., members.1., ...). */
  constructor(readonly config: DrgradeConfig, readonly seeds: readonly number[]) {
    super();
    if (seeds.length < 2) throw new Error(`GradingEnsemble: ${seeds.length} member(s); an ensemble has at least two`);
    this.members = this.registerModule('members', new ModuleList(seeds.map((seed) => new GradingModel({ ...config, seed })))).items;
  }

  /** Logits whose softmax is the members' averaged probabilities (log of the mean probability). */
  forward(x: Tensor): ModelOutput {
    const logits = averageProbabilities(this.members.map((m) => m.forward(x).logits));
    return { logits, embedding: null, terms: [{ name: 'logits', logits, weight: 1 }] };
  }
}

/** What predict, eval, gradcam and the page grade with: one model, or an ensemble of several. */
export type Grader = GradingModel | GradingEnsemble;

/** The models whose probabilities a grader averages: itself, or its members. */
export function graderMembers(model: Grader): readonly GradingModel[] {
  return model instanceof GradingEnsemble ? model.members : [model];
}
