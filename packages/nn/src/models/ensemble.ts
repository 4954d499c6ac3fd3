// AG_Net (Porwal et al., IDRiD challenge, MIA 2020): AlexNet and GoogLeNet, each trained as a
// grader, their predictions fused by averaging the class probabilities.
import { stack, type Tensor } from '@drgrade/tensor';

/**
 * log(mean_i softmax(logits_i)) over the members: its softmax is the averaged probabilities
 * exactly (they already sum to 1), so the fused scores go wherever logits go (argmax, softmax,
 * cross-entropy). Computed as logsumexp over the members' log-softmax, which never takes the log
 * of an underflowed probability.
 */
export function averageProbabilities(logits: readonly Tensor[]): Tensor {
  if (logits.length === 0) throw new Error('averageProbabilities: no members');
  return stack(logits.map((l) => l.logSoftmax(1)), 0).logsumexp(0).sub(Math.log(logits.length));
}
