// Spliced into the input-gradient kernels (conv2d_bwd_input.wgsl and _tiled) where they say PHASE_TAPS.

// First tap t with (r + pad - t * dil) divisible by stride. The pattern repeats every `step`
// taps, so if none of the first `step` qualifies none does: NO_TAP, past any kernel (and far
// from overflowing when tap steps are added to it), then skips every tap.
const NO_TAP: u32 = 0x40000000u;

fn firstTap(r: u32, pad: u32, dil: u32, stride: u32, step: u32) -> u32 {
  for (var t = 0u; t < step; t++) {
    if ((r + pad + stride * dil * step - t * dil) % stride == 0u) { return t; }
  }
  return NO_TAP;
}
