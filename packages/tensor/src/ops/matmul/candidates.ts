// Which matmul kernel runs a problem: the candidates this adapter has for its sizes, its shape
// class, and the autotuner's choice among them.
import { sizeClass, tuned, type TuneBench } from '../../autotune.ts';
import { deviceSync } from '../../device.ts';
import { Tensor, type DType } from '../../tensor.ts';
import { DEFAULT_TILE, tileOptions } from '../gemm/tile.ts';
import { fillTensor } from '../kernels.ts';
import { hasHalfVariant, runMatmul } from './kernels.ts';
import { formatMatmul, type MatmulKernel, type MatmulVariant } from './variant.ts';

/** The kernels that can run `batch` [M, K] @ [K, N] problems of `dtype` here, the adapter's default first. */
export function matmulKernels(M: number, K: number, N: number, batch: number, dtype: DType = 'float32'): MatmulKernel[] {
  const all = allKernels(M, K, N, batch);
  return dtype !== 'float16' ? all : all.filter(hasHalfVariant);
}

function allKernels(M: number, K: number, N: number, batch: number): MatmulKernel[] {
  const info = deviceSync().info;
  const reg: MatmulKernel = { kind: K % 4 === 0 && N % 4 === 0 ? 'vec4' : 'scalar' };
  // The 'sg' kernel holds subgroup size x 4 accumulators per invocation: for narrow subgroups.
  const sg = info.subgroupSize !== null && info.subgroupSize <= 16;
  // 'sgv' (the same kernel loading 4 adjacent columns of B at once) needs N % 4 == 0.
  const subgroup: MatmulKernel[] = !sg ? [] : N % 4 === 0 ? [{ kind: 'sg', bv: 1 }, { kind: 'sg', bv: 4 }] : [{ kind: 'sg', bv: 1 }];
  if (info.kind === 'gpu') return [...tileOptions(M, N, K, batch).map((tile): MatmulKernel => ({ kind: 'tile', tile })), reg, ...subgroup];
  return [...subgroup, reg, { kind: 'tile', tile: DEFAULT_TILE }];
}

/** matmulKernels by name (benchmarks, tests). */
export function matmulCandidates(M: number, K: number, N: number, batch: number, dtype: DType = 'float32'): MatmulVariant[] {
  return matmulKernels(M, K, N, batch, dtype).map(formatMatmul);
}

/**
 * The kernel for a problem: the autotuner's choice for its shape class once timed (autotune.ts),
 * until then (and with tuning off) register-blocked on CPU adapters, shared-memory tiles on GPUs.
 */
export function chooseMatmulKernel(K: number, N: number, M: number, batch: number, dtype: DType = 'float32'): MatmulKernel {
  const cls = `m${sizeClass(M)} k${sizeClass(K)} n${sizeClass(N)} b${sizeClass(batch)} ${K % 4 === 0 && N % 4 === 0 ? 'aligned' : 'odd'}${dtype === 'float16' ? ' f16' : ''}`;
  return tuned('matmul', cls, matmulKernels(M, K, N, batch, dtype), formatMatmul, () => matmulBench(batch, M, K, N, dtype));
}

function matmulBench(batch: number, M: number, K: number, N: number, dtype: DType): TuneBench<MatmulKernel> {
  const a = Tensor.empty([batch, M, K], dtype), b = Tensor.empty([batch, K, N], dtype), c = Tensor.empty([batch, M, N], dtype);
  // Timing needs finite operands, not particular values: zeros are what a float16 buffer fills with in place.
  fillTensor(a, dtype === 'float16' ? 0 : 0.5);
  fillTensor(b, dtype === 'float16' ? 0 : 0.5);
  return {
    run: (k) => runMatmul('matmul (autotune)', a, b, c, batch, M, K, N, M * K, K * N, k),
    dispose: () => { a.dispose(); b.dispose(); c.dispose(); },
  };
}
