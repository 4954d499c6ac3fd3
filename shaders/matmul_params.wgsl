// The uniform block of every matmul kernel (matmul_vec4, _scalar, _sg, _tiled): C [batch, M, N] =
// A [batch, M, K] · B [batch, K, N], each operand's batch stride in elements (0 broadcasts it).
struct Params {
  M: u32,
  N: u32,
  K: u32,
  strideA: u32,
  strideB: u32,
  strideC: u32,
  outs: u32, // elements of C (the tiled kernel's stride between split-K parts)
}
