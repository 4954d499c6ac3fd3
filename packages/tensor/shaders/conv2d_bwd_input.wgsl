// Gradient of a 2-D convolution with respect to its input (a transposed convolution):
// dX[n, g, c, ih, iw] = sum over (o, kh, kw) of W[g, o, c, kh, kw] * dY[n, g, o, oh, ow]
// where ih = oh * sh - ph + kh * dh (and the same across).
//
// With stride > 1 only some taps reach a given input pixel, and which ones depends on the
// pixel's phase (ih mod sh, iw mod sw). Each workgroup takes one phase, so its taps are a fixed
// arithmetic progression kh = kh0, kh0 + khStep, ... (and likewise kw), and a pixel (i, j) of the
// phase grid, ih = rh + sh * i, reads oh = i + (rh + ph - kh * dh) / sh: a dense stride-1
// correlation over dY with a sub-kernel. No multiply ever lands on a zero-inserted position.
//
// The pixels of a workgroup run on through the images of a slice of the batch (F images: the
// phase pixels of image n0 + 1 follow those of n0), so a small map still fills the workgroup's
// lanes: the stride-2 phases of an 8x8 map have 16 pixels each, and one image a workgroup of 64 x 4
// pixels left 15 of 16 lanes repeating a clamped pixel's loads and multiply-adds (ResNet-50's last
// stage at 128 px).
//
// Register blocking as conv2d_fwd.wgsl: PL pixels per invocation, R input channels per
// workgroup whose weights (packed [G, Og * KH * KW, channel blocks, SG] vectors of RV by
// conv2d_pack.wgsl) are loaded once per subgroup and shared with shuffles; no barriers. DY and DX
// are of T (f32 or f16 storage); the packed weights and the sums are f32.
{{ENABLE}}
// Params (ops/conv2d/params.ts): the geometry (per group), CB channel blocks of R in the packed
// weights, khStep, kwStep (sh / gcd(sh, dh)): the distance between taps of one phase, the batch N
// and F, the images of one slice.
{{PARAMS}}

@group(0) @binding(0) var<storage, read> DY: array<{{T}}>;
@group(0) @binding(1) var<storage, read> Wp: array<{{WTYPE}}>;
@group(0) @binding(2) var<storage, read_write> DX: array<{{T}}>;
@group(0) @binding(3) var<uniform> p: Params;

const SG: u32 = {{SG}}u;
const OU: u32 = {{CU}}u;

// firstTap(r, pad, dil, stride, step): the first tap of a stride phase (conv2d_phase.wgsl).
{{PHASE_TAPS}}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32{{LANE_BUILTIN}}) {
  let phases = p.sh * p.sw;
  let phase = wid.z % phases;
  let g = (wid.z / phases) % p.G;
  // The slice's first image and its image count.
  let n0 = (wid.z / (phases * p.G)) * p.F;
  let images = min(p.F, p.N - n0);
  let rh = phase / p.sw;
  let rw = phase % p.sw;
  // The phase grid: input rows rh, rh + sh, ... below H (none when rh >= H).
  let Hp = (p.H + p.sh - 1u - rh) / p.sh;
  let Wq = (p.W + p.sw - 1u - rw) / p.sw;
  let count = Hp * Wq;
  // Pixels of this phase in the slice, and the elements of one image of dY and of dX.
  let total = images * count;
  let dyImage = p.G * p.O * p.Ho * p.Wo;
  let dxImage = p.G * p.C * p.H * p.W;
  let c0 = wid.y * {{R}}u;
  let qBase = wid.x * {{PIXELS}}u + li;
  let kh0 = firstTap(rh, p.ph, p.dh, p.sh, p.khStep);
  let kw0 = firstTap(rw, p.pw, p.dw, p.sw, p.kwStep);
  let KK = p.KH * p.KW;
{{PIXEL_SETUP}}
{{ACC_DECL}}
  // Planes of the slice's first image; each pixel adds its own image's offset (PIXEL_SETUP).
  let planes = (n0 * p.G + g) * p.O;
  // oh = i + (rh + ph - kh * dh) / sh, exact; it falls by khStep * dh / sh from one tap of the
  // phase to the next, so the division happens once, not per tap.
  let offh0 = (i32(rh + p.ph) - i32(kh0 * p.dh)) / i32(p.sh);
  let offw0 = (i32(rw + p.pw) - i32(kw0 * p.dw)) / i32(p.sw);
  let dOffh = i32(p.khStep * p.dh / p.sh);
  let dOffw = i32(p.kwStep * p.dw / p.sw);
  // Packed weight rows (o, kh, kw) of this workgroup's channel block lie wstep apart.
  let wstep = p.CB * SG;
  // The reduction over output channels: OU at a time, then one at a time for the rest. A
  // channel's taps come written out in full when the phase's tap counts are 1x1 or 3x3
  // (ops/conv2d/codegen.ts), as loops otherwise; with stride > 1 taps past the kernel are skipped.
  // A phase that no tap reaches (3 of a 1x1 stride-2 convolution's 4) is all zeros: it skips the
  // reduction, which would multiply every output channel's weights by zero.
  let oEnd = select(0u, p.O, kh0 < p.KH && kw0 < p.KW);
  var o = 0u;
  for (; o + OU <= oEnd; o += OU) {
{{CHANNELS}}
  }
{{TAIL}}
  let xBase = (n0 * p.G + g) * p.C;
{{STORE}}
}
