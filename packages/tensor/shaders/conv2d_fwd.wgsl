// Forward 2-D convolution (NCHW input, OIHW weights) as an implicit GEMM, register-blocked:
// Y[n, g, o, q] = sum over k = (c, kh, kw) of W[g, o, k] * X[n, g, c, ih(q, kh), iw(q, kw)].
// The im2col column is gathered from X inside the loop, never materialised.
//
// Each invocation owns PL output pixels (q, q + 64, ...) and the R output channels of its
// workgroup. The pixels run on through the images of a slice of the batch (F images: the pixels
// of image n0 + 1 follow those of n0), so that a map smaller than a workgroup's 64 x PL pixels
// (ResNet-50's 4x4 and 8x8 stages at 128 px) still fills its lanes instead of repeating a clamped
// pixel's work. The weights come packed (conv2d_pack.wgsl) as [G, K, channel blocks, SG] vectors of
// RV, so at each k the SG lanes of a subgroup load R = SG * RV weights with one vector load each
// and pass them round with subgroup shuffles. On CPU adapters every storage load is a per-lane
// scalar loop with a bounds check, costlier than dozens of FMAs, so sharing loads is what makes
// the kernel fast; there are no barriers. With SG = 1 (no subgroups) it is the plain
// RV-channel x PL-pixel register block with one vector weight load per k.
// The epilogue adds the bias and applies ReLU when asked (the fused op). X, B and Y are of T (f32,
// or f16 with ENABLE's `enable f16;`), read into f32 and rounded at the store; sums are f32.
{{ENABLE}}
// Params (ops/conv2d/params.ts): the geometry (per group), OB channel blocks of R in the packed
// weights, the epilogue's hasBias, relu, the batch N and F, the images of one slice.
{{PARAMS}}

@group(0) @binding(0) var<storage, read> X: array<{{T}}>;
@group(0) @binding(1) var<storage, read> Wp: array<{{WTYPE}}>;
@group(0) @binding(2) var<storage, read> B: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> Y: array<{{T}}>;
@group(0) @binding(4) var<uniform> p: Params;

const SG: u32 = {{SG}}u;
const CU: u32 = {{CU}}u;

fn epilogue(v: f32, bias: f32) -> f32 {
  let b = v + bias;
  return select(b, max(b, 0.0), p.relu != 0u);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32{{LANE_BUILTIN}}) {
  let P = p.Ho * p.Wo;
  let g = wid.z % p.G;
  // The slice's first image, the pixels of its images, and the elements of one image of X and Y.
  let n0 = (wid.z / p.G) * p.F;
  let total = min(p.F, p.N - n0) * P;
  let xImage = p.G * p.C * p.H * p.W;
  let yImage = p.G * p.O * P;
  let o0 = wid.y * {{R}}u;
  let qBase = wid.x * {{PIXELS}}u + li;
  let K = p.C * p.KH * p.KW;
  // Out-of-range pixels are clamped so every lane keeps running the shuffles; their results are
  // never stored.
{{PIXEL_SETUP}}
{{ACC_DECL}}
  var kidx = ((g * K) * p.OB + wid.y) * SG + {{LANE}};
  let kstep = p.OB * SG;
  // Planes of the slice's first image; each pixel adds its own image's offset (PIXEL_SETUP).
  let plane0 = (n0 * p.G + g) * p.C;
  // The reduction over input channels: CU at a time, then one at a time for the rest. A
  // channel's taps come written out in full for 1x1 and 3x3 kernels (ops/conv2d/codegen.ts), as
  // loops otherwise.
  var c = 0u;
  for (; c + CU <= p.C; c += CU) {
{{CHANNELS}}
  }
{{TAIL}}
  let yBase = (n0 * p.G + g) * p.O;
{{STORE}}
}
