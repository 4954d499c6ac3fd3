// The matmul kernels and their dispatch: the register-blocked 4x4 kernels (shaders/matmul_vec4,
// matmul_scalar), the subgroup-shared one (matmul_sg, whose unrolled parts are written here) and
// the tiled GEMM core with the matmul loaders (matmul_tiled). The register and tiled kernels also
// come in an f16 variant (float16 operands and output, float32 products and sums).
import scalarSrc from '../../../shaders/matmul_scalar.wgsl';
import sgSrc from '../../../shaders/matmul_sg.wgsl';
import tiledLoadersSrc from '../../../shaders/matmul_tiled.wgsl';
import vec4Src from '../../../shaders/matmul_vec4.wgsl';
import { deviceSync } from '../../device.ts';
import { getEngine } from '../../engine.ts';
import { TensorError } from '../../errors.ts';
import { BLOCK_WORKGROUP_SIZE, checkGrid } from '../../limits.ts';
import type { Tensor } from '../../tensor.ts';
import { uniformBlock } from '../../uniforms.ts';
import { tiledDispatch } from '../gemm/tiled.ts';
import { specialize, sumTree } from '../kernels.ts';
import { storageWgsl } from '../storage.ts';
import type { MatmulKernel } from './variant.ts';

/**
 * The parameters of every matmul kernel: C [batch, M, N] = A [batch, M, K] · B [batch, K, N],
 * each operand's batch stride in elements (0 broadcasts it); outs, the elements of C, is the
 * tiled kernel's stride between split-K parts.
 */
const params = uniformBlock({ M: 'u32', N: 'u32', K: 'u32', strideA: 'u32', strideB: 'u32', strideC: 'u32', outs: 'u32' });

/** The 4x4 register kernels' workgroups are SIDE x SIDE invocations, each owning 4x4 outputs. */
const SIDE = 8;

/** Rows loaded per subgroup lane (R = subgroup size x SG_RV) and columns per invocation of the 'sg' kernel. */
const SG_RV = 2;
const SG_PL = 2;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * The subgroup kernel for subgroup size sg, kv k per A load, bv columns per B load (1 or 4). Each
 * loop iteration loads the B values of its kv steps first, then adds each accumulator the sum of
 * its kv products at once: lavapipe stores every variable a loop writes through the loop's lane
 * mask, so one update per iteration instead of one per step is what pays (as in the conv2d
 * register kernels; see conv2d/codegen.ts).
 */
function sgSource(sg: number, kv: number, bv: number): string {
  const R = sg * SG_RV;
  const lanes = BLOCK_WORKGROUP_SIZE;
  const av = (r: number, kk: number) => `av${Math.floor(r / sg)}${kv === 1 ? '' : `[${kk}]`}`;
  const type = bv === 1 ? 'f32' : 'vec4<f32>';
  return specialize(sgSrc, {
    PARAMS: params.wgsl, WORKGROUP_SIZE: lanes, SG: sg, KV: kv, BV: bv, R, COLS: lanes * SG_PL, ATYPE: kv === 1 ? 'f32' : 'vec4<f32>', BTYPE: type,
    SETUP: [
      ...range(SG_PL).map((j) => `  let n${j} = min(nBase + ${j * lanes}u, NB - 1u);`),
      ...range(SG_RV).map((v) => `  let ar${v} = aBase + min(m0 + si + ${v * sg}u, p.M - 1u) * KA;`),
    ].join('\n'),
    ACC_DECL: range(R).map((r) => range(SG_PL).map((j) => `  var a${r}_${j} = ${type}(0.0);`).join('\n')).join('\n'),
    LOAD_A: range(SG_RV).map((v) => `    let av${v} = A[ar${v} + k];`).join('\n'),
    STEPS: [
      ...range(kv).flatMap((kk) => [
        `    let kb${kk} = bBase + (k * KV + ${kk}u) * NB;`,
        ...range(SG_PL).map((j) => `    let x${kk}_${j} = B[kb${kk} + n${j}];`),
      ]),
      ...range(R).flatMap((r) => [
        ...range(kv).map((kk) => `    let w${r}_${kk} = subgroupShuffle(${av(r, kk)}, ${r % sg}u);`),
        ...range(SG_PL).map((j) => `    a${r}_${j} += ${sumTree(range(kv).map((kk) => `w${r}_${kk} * x${kk}_${j}`))};`),
      ]),
    ].join('\n'),
    STORE: range(SG_PL).map((j) => `  if (nBase + ${j * lanes}u < NB) {
${range(R).map((r) => `    if (m0 + ${r}u < p.M) { C[cBase + (m0 + ${r}u) * NB + n${j}] = a${r}_${j}; }`).join('\n')}
  }`).join('\n'),
  });
}

/** Whether `k` has an f16 variant: the subgroup kernel has none, nor split-K (its parts are float32). */
export function hasHalfVariant(k: MatmulKernel): boolean {
  return k.kind !== 'sg' && (k.kind !== 'tile' || k.tile.splits === 1);
}

/**
 * The kernel that runs `k` on these sizes: the vec4 loads need K and N multiples of 4, the
 * subgroup kernel's column vectors N and B's batch stride. Kernels without an f16 variant run
 * f16 operands as the register block or the unsplit tile.
 */
function fitted(k: MatmulKernel, K: number, N: number, strideB: number, half: boolean): MatmulKernel {
  const aligned = K % 4 === 0 && N % 4 === 0;
  if (half && !hasHalfVariant(k)) return k.kind === 'tile' ? { kind: 'tile', tile: { ...k.tile, splits: 1 } } : { kind: aligned ? 'vec4' : 'scalar' };
  if (k.kind === 'vec4' && !aligned) return { kind: 'scalar' };
  if (k.kind === 'sg' && k.bv === 4 && (N % 4 !== 0 || strideB % 4 !== 0)) return { kind: 'sg', bv: 1 };
  return k;
}

/**
 * C[b] = A[b]·B[b] with kernel `kernel` for contiguous A [*, M, K] and B [*, K, N]; a batch
 * stride of 0 reuses one matrix for every batch entry.
 */
export function runMatmul(label: string, a: Tensor, b: Tensor, c: Tensor, batch: number, M: number, K: number, N: number,
  strideA: number, strideB: number, kernel: MatmulKernel): void {
  if (M === 0 || N === 0 || batch === 0) return;
  if (a.dtype !== b.dtype || a.dtype !== c.dtype || a.dtype === 'int32') {
    throw new TensorError(`${label}: operands ${a.describe()}, ${b.describe()} and output ${c.describe()} must all be float32 or all float16`);
  }
  const half = a.dtype === 'float16';
  const k = fitted(kernel, K, N, strideB, half);
  const types = storageWgsl(a.dtype);
  const uniforms = params.pack({ M, N, K, strideA, strideB, strideC: M * N, outs: batch * M * N });
  const buffers = [a.buffer, b.buffer, c.buffer];
  const cost = batch * M * N * K;
  switch (k.kind) {
    case 'sg': {
      const sg = deviceSync().info.subgroupSize;
      if (sg === null) throw new TensorError(`${label}: the 'sg' matmul kernel needs an adapter with a fixed subgroup size`);
      const kv = K % 4 === 0 && strideA % 4 === 0 ? 4 : 1;
      const workgroups = checkGrid(label, [Math.ceil(N / (k.bv * BLOCK_WORKGROUP_SIZE * SG_PL)), Math.ceil(M / (sg * SG_RV)), batch]);
      getEngine().dispatch({ label, key: `matmul:sg:${sg}:${kv}:${k.bv}`, source: () => sgSource(sg, kv, k.bv), buffers, uniforms, workgroups, cost });
      return;
    }
    case 'tile':
      tiledDispatch({
        label, key: `matmul:${types.T}`, loaders: () => specialize(tiledLoadersSrc, { PARAMS: params.wgsl, ...types }),
        inputs: [a.buffer, b.buffer], uniforms, M, N, gemms: batch, cost, outType: types.T,
      }, k.tile, c, null);
      return;
    case 'vec4': case 'scalar': {
      const workgroups = checkGrid(label, [Math.ceil(Math.ceil(N / 4) / SIDE), Math.ceil(Math.ceil(M / 4) / SIDE), batch]);
      const src = k.kind === 'vec4' ? vec4Src : scalarSrc;
      getEngine().dispatch({ label, key: `matmul:${k.kind}:${types.T}`, source: () => specialize(src, { PARAMS: params.wgsl, SIDE, ...types }), buffers, uniforms, workgroups, cost });
    }
  }
}
