// Targets for classification losses: integer grades (array or int32 tensor) or soft-label rows.
import { arange, tensor, Tensor, TensorError } from '@drgrade/tensor';

export type Targets = Tensor | readonly number[] | Int32Array;

/** Targets as a float [N, C] tensor of rows summing to 1 (one-hot for integer grades). */
export function targetRows(op: string, targets: Targets, n: number, numClasses: number): Tensor {
  if (targets instanceof Tensor && targets.dtype === 'float32' && targets.rank === 2) {
    if (targets.shape[0] !== n || targets.shape[1] !== numClasses) {
      throw new TensorError(`${op}: soft targets ${targets.describe()} do not match logits [${n}, ${numClasses}]`);
    }
    return targets;
  }
  if (targets instanceof Tensor) {
    if (targets.rank !== 1 || targets.shape[0] !== n) throw new TensorError(`${op}: targets ${targets.describe()} must be [${n}] grades or [${n}, ${numClasses}] soft labels`);
    const labels = targets.dtype === 'int32' ? targets.toFloat() : targets;
    return labels.reshape([n, 1]).eq(arange(numClasses).reshape([1, numClasses]));
  }
  if (targets.length !== n) throw new TensorError(`${op}: ${targets.length} targets for ${n} rows of logits`);
  const rows = new Float32Array(n * numClasses);
  targets.forEach((t, i) => {
    if (!Number.isInteger(t) || t < 0 || t >= numClasses) throw new TensorError(`${op}: target ${t} at index ${i} is not a class in 0..${numClasses - 1}`);
    rows[i * numClasses + t] = 1;
  });
  return tensor(rows, [n, numClasses]);
}

export function checkLogits(op: string, logits: Tensor): [number, number] {
  if (logits.rank !== 2) throw new TensorError(`${op}: logits ${logits.describe()} must be [batch, classes]`);
  return [logits.shape[0]!, logits.shape[1]!];
}
