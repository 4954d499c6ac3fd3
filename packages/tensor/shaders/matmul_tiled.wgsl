// Loaders of the tiled matmul (gemm_tiled.wgsl), the variant for real GPUs: C[z] = A[z]·B[z]
// for A [batch, M, K], B [batch, K, N], any sizes. A batch stride of 0 broadcasts that operand.
// Params (ops/matmul/kernels.ts): M, N, K, batch strides strideA, strideB, strideC, outs.
// Storage is T (f32, or f16 with `enable f16` as ENABLE); products and sums are f32 either way.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> A: array<{{T}}>;
@group(0) @binding(1) var<storage, read> B: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> OUT: array<{{T}}>;
@group(0) @binding(3) var<uniform> p: Params;

struct Ctx {
  M: u32,
  N: u32,
  K: u32,
  aBase: u32,
  bBase: u32,
  cBase: u32,
}

fn context(z: u32) -> Ctx {
  return Ctx(p.M, p.N, p.K, z * p.strideA, z * p.strideB, z * p.strideC);
}

fn loadA(c: Ctx, m: u32, k: u32) -> f32 {
  return f32(A[c.aBase + m * c.K + k]);
}

fn loadB(c: Ctx, k: u32, n: u32) -> f32 {
  return f32(B[c.bBase + k * c.N + n]);
}

fn outIndex(c: Ctx, m: u32, n: u32) -> u32 {
  return c.cBase + m * c.N + n;
}

fn outCount() -> u32 {
  return p.outs;
}

fn epilogue(c: Ctx, m: u32, v: f32) -> {{T}} {
  return {{T}}(v);
}
