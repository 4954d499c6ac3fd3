// Shared-memory tiled GEMM core for GPUs: C = A·B for every GEMM z of a dispatch, in BM x BN
// output tiles. Each invocation holds a (4·TM4) x (4·TN4) block of accumulators; its rows and
// columns are vec4 groups strided by the invocation grid, so neighbouring invocations read
// neighbouring 16-byte words of the workgroup tiles (no bank conflicts, one 128-bit load per
// group) and write neighbouring output columns. The reduction runs in slabs of BK staged through
// workgroup memory, where each element is reused by a whole row or column of invocations.
//
// The op's loaders (appended as LOADERS) define the problem: a Ctx struct with the GEMM sizes
// M, N, K, built once per workgroup by context(z); loadA(ctx, m, k) and loadB(ctx, k, n) for
// in-range elements (the loaders handle padding, the core the tile edges), or, where a loader
// has it, loadB4(ctx, k, n) for columns n..n+3 at once (zero past N; an element's index math is
// then shared by four, which pays for gathered operands such as im2col); outIndex(ctx, m, n)
// and epilogue(ctx, m, v) for the output binding OUT (of OUT_T: f16 outputs have no split-K), and outCount(), the number of outputs of
// the whole dispatch. With SPLITS > 1 (split-K, for problems with too few tiles to fill the GPU)
// workgroup z·SPLITS + s sums reduction slab run s only and stores the raw partial sum at
// OUT[s · outCount() + outIndex], split-major so that neighbouring invocations' stores stay
// contiguous; gemm_splitk_reduce.wgsl adds the parts and applies the epilogue. CPU adapters pay
// heavily for the barriers and run the register-blocked kernels instead.
{{LOADERS}}

const BM: u32 = {{BM}}u;
const BN: u32 = {{BN}}u;
const BK: u32 = {{BK}}u;
const TM4: u32 = {{TM4}}u;
const TN4: u32 = {{TN4}}u;
const WX: u32 = {{WX}}u;
const WY: u32 = {{WY}}u;
const THREADS: u32 = {{WX}}u * {{WY}}u;
const SPLITS: u32 = {{SPLITS}}u;

// tA rows are padded by one group so that the slab's column-wise stores spread over the banks.
var<workgroup> tA: array<array<vec4<f32>, {{BM4P}}>, {{BK}}>;
var<workgroup> tB: array<array<vec4<f32>, {{BN4}}>, {{BK}}>;

@compute @workgroup_size({{WX}}, {{WY}}, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let s = wid.z % SPLITS;
  let ctx = context(wid.z / SPLITS);
  let row0 = wid.y * BM;
  let col0 = wid.x * BN;
  let flat = lid.y * WX + lid.x;
  // This split's run of the reduction, whole slabs except at the end.
  let chunk = ((ctx.K + SPLITS - 1u) / SPLITS + BK - 1u) / BK * BK;
  let kBegin = min(s * chunk, ctx.K);
  let kEnd = min(kBegin + chunk, ctx.K);
  var acc: array<vec4<f32>, {{ACC}}>;
  for (var k0 = kBegin; k0 < kEnd; k0 += BK) {
    // A slab: BM/4 groups of 4 rows x BK; consecutive invocations take consecutive k, so each of
    // the 4 row loads is contiguous across them.
    for (var i = 0u; i < BK * BM / (4u * THREADS); i++) {
      let e = flat + i * THREADS;
      let k = e % BK;
      let m4 = e / BK;
      var v = vec4<f32>(0.0);
      if (k0 + k < kEnd) {
        for (var c = 0u; c < 4u; c++) {
          let m = row0 + m4 * 4u + c;
          if (m < ctx.M) { v[c] = loadA(ctx, m, k0 + k); }
        }
      }
      tA[k][m4] = v;
    }
    // B slab: BK x BN/4 groups of 4 columns; consecutive invocations take consecutive groups.
    for (var i = 0u; i < BK * BN / (4u * THREADS); i++) {
      let e = flat + i * THREADS;
      let n4 = e % (BN / 4u);
      let k = e / (BN / 4u);
      var v = vec4<f32>(0.0);
      if (k0 + k < kEnd) {
{{LOAD_B_GROUP}}
      }
      tB[k][n4] = v;
    }
    workgroupBarrier();
    for (var k = 0u; k < BK; k++) {
      var b: array<vec4<f32>, TN4>;
      for (var j = 0u; j < TN4; j++) { b[j] = tB[k][lid.x + j * WX]; }
      for (var i = 0u; i < TM4; i++) {
        let a = tA[k][lid.y + i * WY];
        for (var r = 0u; r < 4u; r++) {
          for (var j = 0u; j < TN4; j++) {
            let at = (i * 4u + r) * TN4 + j;
            acc[at] = fma(vec4<f32>(a[r]), b[j], acc[at]);
          }
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM4; i++) {
    for (var r = 0u; r < 4u; r++) {
      let m = row0 + (lid.y + i * WY) * 4u + r;
      if (m >= ctx.M) { continue; }
      for (var j = 0u; j < TN4; j++) {
        let v = acc[(i * 4u + r) * TN4 + j];
        for (var c = 0u; c < 4u; c++) {
          let n = col0 + (lid.x + j * WX) * 4u + c;
          if (n >= ctx.N) { continue; }
          let at = outIndex(ctx, m, n);
          if (SPLITS == 1u) { OUT[at] = epilogue(ctx, m, v[c]); } else { OUT[s * outCount() + at] = {{OUT_T}}(v[c]); }
        }
      }
    }
  }
}
