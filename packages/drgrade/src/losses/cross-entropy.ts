// Cross-entropy with hard (grade) or soft (row) targets, averaged over the batch (not over
// batch × classes, which would shrink the loss by the number of classes: docs/reference.md, Traps 4).
import type { Tensor } from '@drgrade/tensor';
import { checkLogits, targetRows, type Targets } from './targets.ts';

export function crossEntropy(logits: Tensor, targets: Targets): Tensor {
  const [n, c] = checkLogits('crossEntropy', logits);
  const y = targetRows('crossEntropy', targets, n, c);
  return y.mul(logits.logSoftmax(1)).sum(1).mean().neg();
}
