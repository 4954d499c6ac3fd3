// Focal loss (Lin et al.) with hard or soft targets: mean_i −Σ_j w_j·y_ij·(1 − p_ij)^γ·log p_ij.
import { tensor, TensorError, type Tensor } from '@drgrade/tensor';
import { checkLogits, targetRows, type Targets } from './targets.ts';

export interface FocalOptions {
  /** Focusing parameter γ (default 2; 0 gives cross-entropy). */
  gamma?: number;
  /** Optional per-class weights w_j (e.g. inverse frequencies against imbalance). */
  classWeights?: readonly number[];
}

export function focalLoss(logits: Tensor, targets: Targets, opts: FocalOptions = {}): Tensor {
  const [n, c] = checkLogits('focalLoss', logits);
  const gamma = opts.gamma ?? 2;
  if (!(gamma >= 0)) throw new TensorError(`focalLoss: gamma must be >= 0, got ${gamma}`);
  const y = targetRows('focalLoss', targets, n, c);
  const logp = logits.logSoftmax(1);
  const focus = gamma === 0 ? null : logp.exp().neg().add(1).pow(gamma);
  let terms = y.mul(logp);
  if (focus) terms = terms.mul(focus);
  if (opts.classWeights) {
    if (opts.classWeights.length !== c) throw new TensorError(`focalLoss: ${opts.classWeights.length} class weights for ${c} classes`);
    terms = terms.mul(tensor([...opts.classWeights], [1, c]));
  }
  return terms.sum(1).mean().neg();
}
