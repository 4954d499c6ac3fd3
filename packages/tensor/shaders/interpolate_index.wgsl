// What interpolate.wgsl and interpolate_backward.wgsl share besides their uniform block
// (ops/interpolate.ts): PyTorch's source-index arithmetic (align_corners = false). One copy, so the backward kernel's ranges agree
// with the forward pass bit for bit.
fn nearest(d: u32, inSize: u32, outSize: u32, scale: f32) -> u32 {
  if (outSize == inSize) { return d; }
  if (outSize == 2u * inSize) { return d >> 1u; }
  return min(u32(floor(f32(d) * scale)), inSize - 1u);
}

/** Source cells (i0, i1) and the weight of i1 for output d along one axis. */
struct Linear { i0: u32, i1: u32, l1: f32 }

fn linear(d: u32, inSize: u32, outSize: u32, scale: f32) -> Linear {
  if (outSize == inSize) { return Linear(d, d, 0.0); }
  let src = max(scale * (f32(d) + 0.5) - 0.5, 0.0);
  let i0 = u32(src);
  return Linear(i0, select(i0, i0 + 1u, i0 + 1u < inSize), clamp(src - f32(i0), 0.0, 1.0));
}
