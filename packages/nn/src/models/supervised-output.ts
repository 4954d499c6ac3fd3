// What a network trained with several classifiers returns: the prediction, and the classifier
// outputs whose weighted losses train it (DFL's three streams, PMG's four stage classifiers,
// GoogLeNet's auxiliary heads in an ensemble).
import type { Tensor } from '@drgrade/tensor';
import { autocastInput, autocastInputs } from '../precision.ts';

export interface LossTerm {
  /** Which classifier, e.g. 'g-stream' or 'aux1' (reported, never looked up). */
  name: string;
  logits: Tensor;
  /** Weight of this classifier's loss in the training objective. */
  weight: number;
}

export interface SupervisedOutput {
  /** The prediction: the scores a grade is read from. */
  logits: Tensor;
  /** The classifiers the training loss is summed over, in the order the authors list them. */
  terms: LossTerm[];
}

/** Σ weight·logits: the fused prediction of methods that add their classifiers' scores. */
export function weightedScores(terms: readonly LossTerm[]): Tensor {
  const scaled = (t: LossTerm) => autocastInput('mul', t.logits).mul(t.weight);
  return terms.slice(1).reduce((sum, t) => { const [a, b] = autocastInputs('add', [sum, scaled(t)]); return a.add(b); }, scaled(terms[0]!));
}
