// Batched C = A·B for any M, N, K (A [batch, M, K], B [batch, K, N]): the register-blocked
// 4x4 kernel with scalar, bounds-clamped loads, for shapes the vec4 kernel cannot take.
// Params (ops/matmul/kernels.ts): M, N, K, batch strides strideA, strideB, strideC, outs.
// Storage is T (f32, or f16 with `enable f16` as ENABLE); products and sums are f32 either way.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> A: array<{{T}}>;
@group(0) @binding(1) var<storage, read> B: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> C: array<{{T}}>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size({{SIDE}}, {{SIDE}}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let col = gid.x * 4u;
  let row = gid.y * 4u;
  if (col >= p.N || row >= p.M) { return; }
  let aBase = gid.z * p.strideA;
  let bBase = gid.z * p.strideB;
  let lastR = p.M - 1u;
  let lastC = p.N - 1u;
  let r = vec4<u32>(min(row, lastR), min(row + 1u, lastR), min(row + 2u, lastR), min(row + 3u, lastR)) * p.K + aBase;
  let c = vec4<u32>(min(col, lastC), min(col + 1u, lastC), min(col + 2u, lastC), min(col + 3u, lastC)) + bBase;
  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var k = 0u; k < p.K; k++) {
    let kb = k * p.N;
    let b = vec4<f32>(f32(B[c.x + kb]), f32(B[c.y + kb]), f32(B[c.z + kb]), f32(B[c.w + kb]));
    c0 += f32(A[r.x + k]) * b;
    c1 += f32(A[r.y + k]) * b;
    c2 += f32(A[r.z + k]) * b;
    c3 += f32(A[r.w + k]) * b;
  }
  let cBase = gid.z * p.strideC;
  let rows = array<vec4<f32>, 4>(c0, c1, c2, c3);
  for (var i = 0u; i < 4u; i++) {
    if (row + i >= p.M) { break; }
    let o = cBase + (row + i) * p.N;
    for (var j = 0u; j < 4u; j++) {
      if (col + j < p.N) { C[o + col + j] = {{T}}(rows[i][j]); }
    }
  }
}
