// The uniform block of every pooling kernel (pool_avg, pool_max and their backward kernels): one
// layout, so ops/pool.ts writes the same fields for all of them. x is viewed as [planes, H, W];
// rows = planes · OH (planes · H for the backward kernels); 2^shift lanes share a row (rows.wgsl).
struct Params {
  rows: u32,
  H: u32,
  W: u32,
  OH: u32,
  OW: u32,
  kH: i32,
  kW: i32,
  sH: i32,
  sW: i32,
  pH: i32,
  pW: i32,
  // count_include_pad of the average kernels (unused by max pooling).
  includePad: u32,
  shift: u32,
}
