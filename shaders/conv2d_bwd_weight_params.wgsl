// The uniform block of both weight-gradient kernels (conv2d_bwd_weight and _tiled): the shared
// geometry, the batch, and the split of the N * Ho output rows into `splits` runs of `rowsPer`.
struct Params {
  // The geometry every convolution kernel shares (conv2d_geometry.wgsl).
{{CONV_GEOMETRY}}
  N: u32,
  splits: u32,
  rowsPer: u32,
}
