// Batched matrix multiplication with broadcasting over leading (batch) axes.
import scalarSrc from '../../../../shaders/matmul_scalar.wgsl';
import sgSrc from '../../../../shaders/matmul_sg.wgsl';
import tiledLoadersSrc from '../../../../shaders/matmul_tiled.wgsl';
import vec4Src from '../../../../shaders/matmul_vec4.wgsl';
import paramsSrc from '../../../../shaders/matmul_params.wgsl';
import { sizeClass, tuned, type TuneBench } from '../autotune.ts';
import { deviceSync } from '../device.ts';
import { getEngine, Uniforms } from '../engine.ts';
import { TensorError } from '../errors.ts';
import { broadcastShapes, sameShape, sizeOf } from '../shape.ts';
import { record, Tensor } from '../tensor.ts';
import { DEFAULT_TILE, parseTile, tileCandidates, tiledDispatch, tileOf, type TileVariant } from './gemm_tiled.ts';
import { fillTensor, specialize, sumTree } from './kernels.ts';
import { expand, reshape, transpose } from './movement.ts';
import { sumTo } from './reduce.ts';

/** Register-blocked kernels (vec4, scalar), subgroup-shared ones (sg, sgv), shared-memory tiles (gemm_tiled.ts). */
export type MatmulVariant = 'vec4' | 'scalar' | 'sg' | 'sgv' | TileVariant;

export function isMatmulVariant(v: string): v is MatmulVariant {
  return v === 'vec4' || v === 'scalar' || v === 'sg' || v === 'sgv' || parseTile(v) !== null;
}

/** Rows loaded per subgroup lane (R = subgroup size x SG_RV) and columns per invocation of the 'sg' kernel. */
const SG_RV = 2;
const SG_PL = 2;

/** The kernels that can run `batch` [M, K] @ [K, N] problems here, the adapter's default first. */
export function matmulCandidates(M: number, K: number, N: number, batch: number): MatmulVariant[] {
  const info = deviceSync().info;
  const reg: MatmulVariant = K % 4 === 0 && N % 4 === 0 ? 'vec4' : 'scalar';
  // The 'sg' kernel holds subgroup size x 4 accumulators per invocation: for narrow subgroups.
  const sg = info.subgroupSize !== null && info.subgroupSize <= 16;
  // 'sgv' (the same kernel loading 4 adjacent columns of B at once) needs N % 4 == 0.
  const subgroup: MatmulVariant[] = sg ? (N % 4 === 0 ? ['sg', 'sgv'] : ['sg']) : [];
  if (info.kind === 'gpu') return [...tileCandidates(M, N, K, batch), reg, ...subgroup];
  return [...subgroup, reg, DEFAULT_TILE];
}

/**
 * The kernel for a problem: the autotuner's choice for its shape class once timed (autotune.ts),
 * until then (and with tuning off) register-blocked on CPU adapters, shared-memory tiles on GPUs.
 */
export function chooseMatmul(K: number, N: number, M = 64, batch = 1): MatmulVariant {
  const candidates = matmulCandidates(M, K, N, batch);
  const cls = `m${sizeClass(M)} k${sizeClass(K)} n${sizeClass(N)} b${sizeClass(batch)} ${K % 4 === 0 && N % 4 === 0 ? 'aligned' : 'odd'}`;
  return tuned('matmul', cls, candidates, candidates[0]!, () => matmulBench(batch, M, K, N)) as MatmulVariant;
}

function matmulBench(batch: number, M: number, K: number, N: number): TuneBench {
  const a = Tensor.empty([batch, M, K]), b = Tensor.empty([batch, K, N]), c = Tensor.empty([batch, M, N]);
  fillTensor(a, 0.5);
  fillTensor(b, 0.5);
  return {
    run: (v) => matmulInto('matmul (autotune)', a, b, c, batch, M, K, N, M * K, K * N, v as MatmulVariant),
    dispose: () => { a.dispose(); b.dispose(); c.dispose(); },
  };
}

/**
 * The subgroup kernel for subgroup size sg, kv k per A load, bv columns per B load (1 or 4). Each
 * loop iteration loads the B values of its kv steps first, then adds each accumulator the sum of
 * its kv products at once: lavapipe stores every variable a loop writes through the loop's lane
 * mask, so one update per iteration instead of one per step is what pays (as in the conv2d
 * register kernels; see conv2d_kernels.ts).
 */
function sgSource(sg: number, kv: number, bv: number): string {
  const R = sg * SG_RV;
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const av = (r: number, kk: number) => `av${Math.floor(r / sg)}${kv === 1 ? '' : `[${kk}]`}`;
  const type = bv === 1 ? 'f32' : 'vec4<f32>';
  return specialize(sgSrc, {
    MATMUL_PARAMS: paramsSrc, SG: sg, KV: kv, BV: bv, R, COLS: 64 * SG_PL, ATYPE: kv === 1 ? 'f32' : 'vec4<f32>', BTYPE: type,
    SETUP: [
      ...range(SG_PL).map((j) => `  let n${j} = min(nBase + ${j * 64}u, NB - 1u);`),
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
    STORE: range(SG_PL).map((j) => `  if (nBase + ${j * 64}u < NB) {
${range(R).map((r) => `    if (m0 + ${r}u < p.M) { C[cBase + (m0 + ${r}u) * NB + n${j}] = a${r}_${j}; }`).join('\n')}
  }`).join('\n'),
  });
}

/**
 * Raw kernel call: C[b] = A[b]·B[b] for contiguous A [*, M, K] and B [*, K, N]; a batch stride
 * of 0 reuses one matrix for every batch entry.
 */
export function matmulInto(label: string, a: Tensor, b: Tensor, c: Tensor, batch: number, M: number, K: number, N: number,
  strideA: number, strideB: number, variant: MatmulVariant = chooseMatmul(K, N, M, batch)): void {
  if (M === 0 || N === 0 || batch === 0) return;
  const v = variant === 'vec4' && (K % 4 !== 0 || N % 4 !== 0) ? 'scalar'
    : variant === 'sgv' && (N % 4 !== 0 || strideB % 4 !== 0) ? 'sg' : variant;
  const u = new Uniforms().u32(M, N, K, strideA, strideB, M * N, batch * M * N).done();
  if (v === 'sg' || v === 'sgv') {
    const sg = deviceSync().info.subgroupSize;
    if (sg === null) throw new TensorError(`${label}: the 'sg' matmul kernel needs an adapter with a fixed subgroup size`);
    const kv = K % 4 === 0 && strideA % 4 === 0 ? 4 : 1;
    const bv = v === 'sgv' ? 4 : 1;
    const wg: [number, number, number] = [Math.ceil(N / (bv * 64 * SG_PL)), Math.ceil(M / (sg * SG_RV)), batch];
    if (wg[2] > 65535) throw new TensorError(`${label}: batch ${batch} exceeds 65535`);
    getEngine().dispatch({ label, key: `matmul:sg:${sg}:${kv}:${bv}`, source: () => sgSource(sg, kv, bv), buffers: [a.buffer, b.buffer, c.buffer], uniforms: u, workgroups: wg, cost: batch * M * N * K });
    return;
  }
  if (v !== 'vec4' && v !== 'scalar') {
    tiledDispatch({
      label, key: 'matmul', loaders: () => specialize(tiledLoadersSrc, { MATMUL_PARAMS: paramsSrc }),
      inputs: [a.buffer, b.buffer], uniforms: u, M, N, gemms: batch, cost: batch * M * N * K,
    }, tileOf(label, v), c, null);
    return;
  }
  const wg: [number, number, number] = [Math.ceil((v === 'vec4' ? N / 4 : Math.ceil(N / 4)) / 8), Math.ceil(Math.ceil(M / 4) / 8), batch];
  if (wg[2] > 65535) throw new TensorError(`${label}: batch ${batch} exceeds 65535`);
  getEngine().dispatch({ label, key: `matmul:${v}`, source: () => specialize(v === 'vec4' ? vec4Src : scalarSrc, { MATMUL_PARAMS: paramsSrc }), buffers: [a.buffer, b.buffer, c.buffer], uniforms: u, workgroups: wg, cost: batch * M * N * K });
}

/** a [..., M, K] @ b [..., K, N] (1-D operands are promoted as in NumPy and squeezed after). */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 0 || b.rank === 0) throw new TensorError(`matmul: ${a.describe()} @ ${b.describe()}: operands must have at least one dimension`);
  if (a.rank === 1) { const y = matmul(reshape(a, [1, a.shape[0]!]), b); return reshape(y, [...y.shape.slice(0, -2), y.shape[y.rank - 1]!]); }
  if (b.rank === 1) { const y = matmul(a, reshape(b, [b.shape[0]!, 1])); return reshape(y, y.shape.slice(0, -1)); }
  const M = a.shape[a.rank - 2]!;
  const K = a.shape[a.rank - 1]!;
  const K2 = b.shape[b.rank - 2]!;
  const N = b.shape[b.rank - 1]!;
  if (K !== K2) throw new TensorError(`matmul: ${a.describe()} @ ${b.describe()}: inner dimensions ${K} and ${K2} differ`);
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new TensorError(`matmul: ${a.describe()} @ ${b.describe()} must be float32`);
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
  const y = Tensor.empty([...batchShape, M, N]);
  if (K === 0) {
    y.dispose();
    throw new TensorError(`matmul: ${a.describe()} @ ${b.describe()}: inner dimension is 0`);
  }
  matmulInto(`matmul ${a.describe()} @ ${b.describe()}`, ae, be, y, batch, M, K, N, sA, sB);
  if (ae !== a) ae.dispose();
  if (be !== b) be.dispose();
  return record(y, 'matmul', [a, b], (g) => [
    a.requiresGrad ? sumTo(matmul(g, transpose(b)), a.shape) : null,
    b.requiresGrad ? sumTo(matmul(transpose(a), g), b.shape) : null,
  ]);
}
