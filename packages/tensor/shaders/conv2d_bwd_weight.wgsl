// Gradient of a 2-D convolution with respect to its weights, a GEMM reduced over the batch and
// the output pixels: dW[g, o, col] = sum over (n, oh, ow) of dY[n, g, o, oh, ow] * X[n, g, c, ih, iw]
// with col = (c, kh, kw), ih = oh * sh - ph + kh * dh, iw = ow * sw - pw + kw * dw.
//
// The reduction is long (N * Ho * Wo) and the output small, so it is split: workgroup z = (g, s)
// reduces output rows [s * rowsPer, (s + 1) * rowsPer) of the N * Ho rows and writes partial
// sums to part[g, s, o, col]; the splits are summed afterwards. The split count depends on the
// shape only, so results are deterministic.
//
// Each invocation owns PL columns (its X gathers) and the R output channels of its workgroup; the
// dY values of those channels are loaded once per subgroup (lane l loads channel o0 + l + SG * v)
// and passed round with shuffles. No barriers. X and DY are of T (f32 or f16 storage); the sums
// and the partial sums are f32 (the caller rounds the total once).
{{ENABLE}}
// Params (ops/conv2d/params.ts): the geometry (per group), the batch N, and the split of the
// N * Ho output rows into `splits` runs of `rowsPer`.
{{PARAMS}}

@group(0) @binding(0) var<storage, read> X: array<{{T}}>;
@group(0) @binding(1) var<storage, read> DY: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32{{LANE_BUILTIN}}) {
  let s = wid.z % p.splits;
  let g = wid.z / p.splits;
  let KK = p.KH * p.KW;
  let cols = p.C * KK;
  let o0 = wid.y * {{R}}u;
  let colBase = wid.x * {{PIXELS}}u + li;
  let P = p.Ho * p.Wo;
  let HW = p.H * p.W;
{{COL_SETUP}}
{{DY_SETUP}}
{{ACC_DECL}}
  let rowEnd = min((s + 1u) * p.rowsPer, p.N * p.Ho);
  for (var row = s * p.rowsPer; row < rowEnd; row++) {
    let n = row / p.Ho;
    let oh = row % p.Ho;
    let xPlanes = (n * p.G + g) * p.C;
    let dyRow = ((n * p.G + g) * p.O) * P + oh * p.Wo;
{{ROW_SETUP}}
    for (var ow = 0u; ow < p.Wo; ow++) {
{{LOAD_DY}}
{{GATHER}}
{{FMA}}
    }
  }
  let outBase = wid.z * p.O;
{{STORE}}
}
