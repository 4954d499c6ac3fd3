// SORD soft ordinal labels (Díaz & Marathe, CVPR 2019): y_j = softmax_j(−α·φ(t, j)).
import { tensor, Tensor, TensorError } from '@drgrade/tensor';

export interface SordOptions {
  numClasses?: number;
  /** φ(t, j): squared error (t − j)² (default) or absolute |t − j|. */
  phi?: 'squared' | 'absolute';
  /** α, the scale of the penalty (default 1). */
  scale?: number;
}

/** Soft-label rows for the given grades, as plain numbers (row-major [N, C]). */
export function sordRows(grades: readonly number[] | Int32Array, opts: SordOptions = {}): Float32Array {
  const C = opts.numClasses ?? 5;
  const alpha = opts.scale ?? 1;
  const phi = opts.phi ?? 'squared';
  const out = new Float32Array(grades.length * C);
  grades.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= C) throw new TensorError(`sordLabels: grade ${t} at index ${i} is not in 0..${C - 1}`);
    const logits = Array.from({ length: C }, (_, j) => -alpha * (phi === 'squared' ? (t - j) ** 2 : Math.abs(t - j)));
    const m = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, j) => { out[i * C + j] = v / s; });
  });
  return out;
}

/** SORD soft labels as a float32 [N, numClasses] tensor. */
export function sordLabels(grades: readonly number[] | Int32Array, opts: SordOptions = {}): Tensor {
  return tensor(sordRows(grades, opts), [grades.length, opts.numClasses ?? 5]);
}
