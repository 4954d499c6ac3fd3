// Loaders of the tiled forward convolution (see conv2d_tiled.wgsl): GEMM z = (n, g) with
// A = W[g] [Og, Cg * KH * KW], B = the im2col matrix of X[n, g] gathered on the fly, and the
// bias + ReLU epilogue of conv2d_fwd.wgsl. Params as conv2d_fwd.wgsl (OB unused).
struct Params {
  // The geometry every convolution kernel shares (conv2d_geometry.wgsl).
{{CONV_GEOMETRY}}
  OB: u32,
  hasBias: u32,
  relu: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

fn gemmDims(z: u32) -> vec3<u32> {
  return vec3<u32>(p.O, p.Ho * p.Wo, p.C * p.KH * p.KW);
}

fn loadA(z: u32, m: u32, k: u32) -> f32 {
  let g = z % p.G;
  return Wt[(g * p.O + m) * p.C * p.KH * p.KW + k];
}

fn loadB(z: u32, k: u32, q: u32) -> f32 {
  let KK = p.KH * p.KW;
  let c = k / KK;
  let kh = (k % KK) / p.KW;
  let kw = k % p.KW;
  let ih = u32(i32((q / p.Wo) * p.sh + kh * p.dh) - i32(p.ph));
  let iw = u32(i32((q % p.Wo) * p.sw + kw * p.dw) - i32(p.pw));
  if (ih >= p.H || iw >= p.W) { return 0.0; }
  return X[((z * p.C + c) * p.H + ih) * p.W + iw];
}

fn storeC(z: u32, m: u32, q: u32, v: f32) {
  let g = z % p.G;
  var y = v;
  if (p.hasBias != 0u) { y += B[g * p.O + m]; }
  if (p.relu != 0u) { y = max(y, 0.0); }
  Y[(z * p.O + m) * p.Ho * p.Wo + q] = y;
}
