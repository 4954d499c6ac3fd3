// Loaders of the tiled forward convolution (gemm_tiled.wgsl): GEMM z = (n, g) with
// A = W[g] [Og, Cg * KH * KW], B = the im2col matrix of X[n, g] gathered on the fly, and the
// bias + ReLU epilogue of conv2d_fwd.wgsl. KH and KW are constants where the kernel size is
// fixed at compile time (1x1, 3x3), so the tap decode of every loaded element is a multiply-shift
// rather than a division; a pointwise convolution (1x1, stride 1, no padding) reads X[n, g] as
// the B matrix directly.
// Params (ops/conv2d/params.ts): the geometry (per group), hasBias, relu, and outs, the elements
// of Y (the stride between split-K parts). Storage is T (f32, or f16 with ENABLE `enable f16;`);
// products and sums are f32 either way.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> X: array<{{T}}>;
@group(0) @binding(1) var<storage, read> Wt: array<{{T}}>;
@group(0) @binding(2) var<storage, read> B: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> OUT: array<{{T}}>;
@group(0) @binding(4) var<uniform> p: Params;

struct Ctx {
  M: u32,
  N: u32,
  K: u32,
  z: u32,
  g: u32,
}

fn context(z: u32) -> Ctx {
  return Ctx(p.O, p.Ho * p.Wo, p.C * {{KH}} * {{KW}}, z, z % p.G);
}

fn loadA(c: Ctx, m: u32, k: u32) -> f32 {
  return f32(Wt[(c.g * p.O + m) * c.K + k]);
}

const POINTWISE: bool = {{POINTWISE}};

// Output pixels q..q+3 (those below N): the tap and the first pixel's row and column are
// decoded once; the next pixels step along the row, wrapping to the next where it ends.
fn loadB4(c: Ctx, k: u32, q: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (POINTWISE) {
    let base = (c.z * p.C + k) * c.N;
    for (var i = 0u; i < 4u; i++) { if (q + i < c.N) { v[i] = f32(X[base + q + i]); } }
    return v;
  }
  let KK = {{KH}} * {{KW}};
  let ch = k / KK;
  let kh = (k % KK) / {{KW}};
  let kw = k % {{KW}};
  let plane = (c.z * p.C + ch) * p.H;
  let oh0 = q / p.Wo;
  let ow0 = q % p.Wo;
  for (var i = 0u; i < 4u; i++) {
    var oh = oh0;
    var ow = ow0 + i;
    if (ow >= p.Wo) { oh += ow / p.Wo; ow = ow % p.Wo; }
    let ih = u32(i32(oh * p.sh + kh * p.dh) - i32(p.ph));
    let iw = u32(i32(ow * p.sw + kw * p.dw) - i32(p.pw));
    if (q + i < c.N && ih < p.H && iw < p.W) { v[i] = f32(X[(plane + ih) * p.W + iw]); }
  }
  return v;
}

fn outIndex(c: Ctx, m: u32, q: u32) -> u32 {
  return (c.z * p.O + m) * c.N + q;
}

fn outCount() -> u32 {
  return p.outs;
}

fn epilogue(c: Ctx, m: u32, v: f32) -> {{T}} {
  var y = v;
  if (p.hasBias != 0u) { y += f32(B[c.g * p.O + m]); }
  if (p.relu != 0u) { y = max(y, 0.0); }
  return {{T}}(y);
}
