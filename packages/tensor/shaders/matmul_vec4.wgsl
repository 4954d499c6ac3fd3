// Batched C = A·B for A [batch, M, K], B [batch, K, N] with K and N multiples of 4.
// Register-blocked: each invocation computes a 4x4 block of C from vec4 loads, with no
// workgroup memory and no barriers (fastest on CPU adapters such as lavapipe and SwiftShader).
// A batch stride of 0 broadcasts that operand over the batch.
// Params (ops/matmul/kernels.ts): M, N, K, batch strides strideA, strideB, strideC, outs.
// Storage is T (f32, or f16 with `enable f16` as ENABLE); products and sums are f32 either way.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> A: array<vec4<{{T}}>>;
@group(0) @binding(1) var<storage, read> B: array<vec4<{{T}}>>;
@group(0) @binding(2) var<storage, read_write> C: array<vec4<{{T}}>>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size({{SIDE}}, {{SIDE}}, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let N4 = p.N / 4u;
  let K4 = p.K / 4u;
  let col = gid.x;
  let row = gid.y * 4u;
  if (col >= N4 || row >= p.M) { return; }
  let aBase = gid.z * (p.strideA / 4u);
  let bBase = gid.z * (p.strideB / 4u) + col;
  let last = p.M - 1u;
  let r0 = aBase + min(row, last) * K4;
  let r1 = aBase + min(row + 1u, last) * K4;
  let r2 = aBase + min(row + 2u, last) * K4;
  let r3 = aBase + min(row + 3u, last) * K4;
  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var k = 0u; k < K4; k++) {
    let kb = bBase + k * 4u * N4;
    let b0 = vec4<f32>(B[kb]);
    let b1 = vec4<f32>(B[kb + N4]);
    let b2 = vec4<f32>(B[kb + 2u * N4]);
    let b3 = vec4<f32>(B[kb + 3u * N4]);
    let a0 = vec4<f32>(A[r0 + k]);
    let a1 = vec4<f32>(A[r1 + k]);
    let a2 = vec4<f32>(A[r2 + k]);
    let a3 = vec4<f32>(A[r3 + k]);
    c0 += a0.x * b0 + a0.y * b1 + a0.z * b2 + a0.w * b3;
    c1 += a1.x * b0 + a1.y * b1 + a1.z * b2 + a1.w * b3;
    c2 += a2.x * b0 + a2.y * b1 + a2.z * b2 + a2.w * b3;
    c3 += a3.x * b0 + a3.y * b1 + a3.z * b2 + a3.w * b3;
  }
  let cBase = gid.z * (p.strideC / 4u) + col;
  C[cBase + row * N4] = vec4<{{T}}>(c0);
  if (row + 1u < p.M) { C[cBase + (row + 1u) * N4] = vec4<{{T}}>(c1); }
  if (row + 2u < p.M) { C[cBase + (row + 2u) * N4] = vec4<{{T}}>(c2); }
  if (row + 3u < p.M) { C[cBase + (row + 3u) * N4] = vec4<{{T}}>(c3); }
}
