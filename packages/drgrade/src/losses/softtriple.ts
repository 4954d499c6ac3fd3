// SoftTriple loss (Qian et al., ICCV 2019), following the official implementation: K centres
// per class, a soft max over them, a margin δ on the true class, scale λ, and a regulariser
// that merges redundant centres. Centres are stored [dim, C·K] as in the official code.
import { tensor, TensorError, type Tensor } from '@drgrade/tensor';
import { crossEntropy } from './cross-entropy.ts';
import { targetRows, type Targets } from './targets.ts';

export interface SoftTripleOptions {
  /** λ: scale of the logits (default 20). */
  la?: number;
  /** γ: temperature of the soft assignment to centres (default 0.1). */
  gamma?: number;
  /** τ: weight of the centre regulariser (default 0.2). */
  tau?: number;
  /** δ: margin on the true class (default 0.01). */
  margin?: number;
  /** K: centres per class (default 10). */
  K?: number;
}

/** Squared norms are clamped away from 0 so a zero vector cannot produce NaN (x/0, √0 gradients). */
function l2rows(x: Tensor, axis: number): Tensor {
  return x.div(x.square().sum(axis, true).clamp(1e-24, Infinity).sqrt());
}

const masks = new Map<string, Tensor>();
/** Upper-triangular pairs (k < k') of centres within each class. */
function pairMask(C: number, K: number): Tensor {
  const key = `${C}x${K}`;
  let m = masks.get(key);
  if (!m || m.isDisposed) {
    const data = new Float32Array(C * K * C * K);
    for (let c = 0; c < C; c++) for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) data[(c * K + i) * C * K + c * K + j] = 1;
    m = tensor(data, [C * K, C * K]).keep();
    masks.set(key, m);
  }
  return m;
}

/**
 * embeddings [N, dim] (L2-normalised here), centers [dim, C·K], labels: N grades.
 * Returns the scalar loss (mean over the batch) including τ·regulariser.
 */
export function softTripleLoss(embeddings: Tensor, centers: Tensor, labels: Targets, opts: SoftTripleOptions = {}): Tensor {
  const la = opts.la ?? 20, gamma = opts.gamma ?? 0.1, tau = opts.tau ?? 0.2, margin = opts.margin ?? 0.01, K = opts.K ?? 10;
  if (embeddings.rank !== 2 || centers.rank !== 2 || embeddings.shape[1] !== centers.shape[0]) {
    throw new TensorError(`softTripleLoss: embeddings ${embeddings.describe()} and centers ${centers.describe()} must be [N, dim] and [dim, C·K]`);
  }
  const CK = centers.shape[1]!;
  if (CK % K !== 0) throw new TensorError(`softTripleLoss: centers ${centers.describe()} have ${CK} columns, not a multiple of K = ${K}`);
  const C = CK / K;
  const n = embeddings.shape[0]!;
  const x = l2rows(embeddings, 1);
  const w = l2rows(centers, 0);
  const sim = x.matmul(w).reshape([n, C, K]);
  const assign = sim.mul(1 / gamma).softmax(2);
  const simClass = assign.mul(sim).sum(2);
  const onehot = targetRows('softTripleLoss', labels, n, C);
  const loss = crossEntropy(simClass.sub(onehot.mul(margin)).mul(la), onehot);
  if (tau <= 0 || K <= 1) return loss;
  const simCenter = w.transpose(0, 1).matmul(w);
  const dist = simCenter.mul(-2).add(2 + 1e-5).clamp(1e-12, Infinity).sqrt();
  const reg = dist.mul(pairMask(C, K)).sum().mul(1 / (C * K * (K - 1)));
  return loss.add(reg.mul(tau));
}
