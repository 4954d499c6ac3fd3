// Batched matrix multiplication with broadcasting over leading (batch) axes, and its gradients.
// The kernels are in kernels.ts, the choice among them in candidates.ts.
import { TensorError } from '../../errors.ts';
import { countFlops, matmulFlops } from '../../flops.ts';
import { broadcastShapes, sameShape, sizeOf } from '../../shape.ts';
import { record, Tensor, type DType } from '../../tensor.ts';
import { expand, reshape, transpose } from '../movement.ts';
import { sumTo } from '../reduce.ts';
import { chooseMatmulKernel } from './candidates.ts';
import { runMatmul } from './kernels.ts';
import { formatMatmul, matmulKernelOf, type MatmulVariant } from './variant.ts';

/**
 * The kernel for a problem: the autotuner's choice for its shape class once timed (autotune.ts),
 * until then (and with tuning off) register-blocked on CPU adapters, shared-memory tiles on GPUs.
 */
export function chooseMatmul(K: number, N: number, M = 64, batch = 1, dtype: DType = 'float32'): MatmulVariant {
  return formatMatmul(chooseMatmulKernel(K, N, M, batch, dtype));
}

/**
 * Raw kernel call: C[b] = A[b]·B[b] for contiguous A [*, M, K] and B [*, K, N]; a batch stride
 * of 0 reuses one matrix for every batch entry. `variant` forces a kernel (tests, benchmarks).
 */
export function matmulInto(label: string, a: Tensor, b: Tensor, c: Tensor, batch: number, M: number, K: number, N: number,
  strideA: number, strideB: number, variant?: MatmulVariant): void {
  const kernel = variant === undefined ? chooseMatmulKernel(K, N, M, batch, a.dtype) : matmulKernelOf(label, variant);
  runMatmul(label, a, b, c, batch, M, K, N, strideA, strideB, kernel);
}

/**
 * a [..., M, K] @ b [..., K, N] (1-D operands are promoted as in NumPy and squeezed after).
 * float16 operands give a float16 result summed in float32.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 0 || b.rank === 0) throw new TensorError(`matmul: ${a.describe()} @ ${b.describe()}: operands must have at least one dimension`);
  if (a.rank === 1) { const y = matmul(reshape(a, [1, a.shape[0]!]), b); return reshape(y, [...y.shape.slice(0, -2), y.shape[y.rank - 1]!]); }
  if (b.rank === 1) { const y = matmul(a, reshape(b, [b.shape[0]!, 1])); return reshape(y, y.shape.slice(0, -1)); }
  const M = a.shape[a.rank - 2]!;
  const K = a.shape[a.rank - 1]!;
  const K2 = b.shape[b.rank - 2]!;
  const N = b.shape[b.rank - 1]!;
  if (K !== K2) throw new TensorError(`matmul: ${a.describe()} @ ${b.describe()}: inner dimensions ${K} and ${K2} differ`);
  if (a.dtype === 'int32' || a.dtype !== b.dtype) throw new TensorError(`matmul: ${a.describe()} @ ${b.describe()} must both be float32 or both float16 (cast with half() or float())`);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batchShape = broadcastShapes('matmul', aBatch, bBatch);
  const batch = sizeOf(batchShape);
  // An operand whose batch is all ones is reused (stride 0); a partial broadcast is materialised.
  const prep = (t: Tensor, tb: readonly number[], rows: number, cols: number): [Tensor, number] => {
    if (sizeOf(tb) === 1) return [t, 0];
    if (sameShape(tb, batchShape)) return [t, rows * cols];
    return [expand(t, [...batchShape, rows, cols]), rows * cols];
  };
  const [ae, sA] = prep(a, aBatch, M, K);
  const [be, sB] = prep(b, bBatch, K, N);
  const y = Tensor.empty([...batchShape, M, N], a.dtype);
  if (K === 0) {
    y.dispose();
    throw new TensorError(`matmul: ${a.describe()} @ ${b.describe()}: inner dimension is 0`);
  }
  matmulInto(`matmul ${a.describe()} @ ${b.describe()}`, ae, be, y, batch, M, K, N, sA, sB);
  countFlops(matmulFlops(batch, M, K, N));
  if (ae !== a) ae.dispose();
  if (be !== b) be.dispose();
  return record(y, 'matmul', [a, b], (g) => [
    a.requiresGrad ? sumTo(matmul(g, transpose(b)), a.shape) : null,
    b.requiresGrad ? sumTo(matmul(transpose(a), g), b.shape) : null,
  ]);
}
