// Batched C = A·B for any M, N, K with 64x64 output tiles staged through workgroup memory:
// 16x16 invocations, each accumulating a 4x4 block. The variant for real GPUs, where
// shared-memory reuse pays; CPU adapters run the register-blocked kernels instead.
{{MATMUL_PARAMS}}

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

const TILE: u32 = 64u;
const TK: u32 = 16u;
var<workgroup> tA: array<array<f32, 64>, 16>;
var<workgroup> tB: array<array<f32, 64>, 16>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let row0 = wid.y * TILE;
  let col0 = wid.x * TILE;
  let aBase = wid.z * p.strideA;
  let bBase = wid.z * p.strideB;
  let flat = lid.y * 16u + lid.x;
  var acc: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    // 256 invocations load a 64x16 slab of A (transposed into tA[k][m]) and a 16x64 slab of B.
    for (var e = flat; e < TILE * TK; e += 256u) {
      let m = e / TK;
      let k = e % TK;
      let gr = row0 + m;
      let gk = k0 + k;
      tA[k][m] = select(0.0, A[aBase + gr * p.K + gk], gr < p.M && gk < p.K);
      let kb = e / TILE;
      let n = e % TILE;
      let gkb = k0 + kb;
      let gc = col0 + n;
      tB[kb][n] = select(0.0, B[bBase + gkb * p.N + gc], gkb < p.K && gc < p.N);
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let b = vec4<f32>(tB[k][lid.x * 4u], tB[k][lid.x * 4u + 1u], tB[k][lid.x * 4u + 2u], tB[k][lid.x * 4u + 3u]);
      for (var i = 0u; i < 4u; i++) { acc[i] += tA[k][lid.y * 4u + i] * b; }
    }
    workgroupBarrier();
  }
  let cBase = wid.z * p.strideC;
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r >= p.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x * 4u + j;
      if (c < p.N) { C[cBase + r * p.N + c] = acc[i][j]; }
    }
  }
}
