// Loaders of the tiled weight-gradient kernel (see conv2d_tiled.wgsl and conv2d_bwd_weight.wgsl):
// GEMM z = (g, split) with rows = output channels, columns = (c, kh, kw) and the reduction over
// the pixels of output rows [s * rowsPer, (s + 1) * rowsPer); partial sums go to part[g, s].
{{BWD_WEIGHT_PARAMS}}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read_write> part: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

fn gemmDims(z: u32) -> vec3<u32> {
  let s = z % p.splits;
  let rows = min((s + 1u) * p.rowsPer, p.N * p.Ho) - min(s * p.rowsPer, p.N * p.Ho);
  return vec3<u32>(p.O, p.C * p.KH * p.KW, rows * p.Wo);
}

fn loadA(z: u32, o: u32, k: u32) -> f32 {
  let s = z % p.splits;
  let g = z / p.splits;
  let row = s * p.rowsPer + k / p.Wo;
  let n = row / p.Ho;
  return DY[((n * p.G + g) * p.O + o) * p.Ho * p.Wo + (row % p.Ho) * p.Wo + k % p.Wo];
}

fn loadB(z: u32, k: u32, col: u32) -> f32 {
  let s = z % p.splits;
  let g = z / p.splits;
  let row = s * p.rowsPer + k / p.Wo;
  let n = row / p.Ho;
  let KK = p.KH * p.KW;
  let c = col / KK;
  let kh = (col % KK) / p.KW;
  let kw = col % p.KW;
  let ih = u32(i32((row % p.Ho) * p.sh + kh * p.dh) - i32(p.ph));
  let iw = u32(i32((k % p.Wo) * p.sw + kw * p.dw) - i32(p.pw));
  if (ih >= p.H || iw >= p.W) { return 0.0; }
  return X[(((n * p.G + g) * p.C + c) * p.H + ih) * p.W + iw];
}

fn storeC(z: u32, o: u32, col: u32, v: f32) {
  part[(z * p.O + o) * p.C * p.KH * p.KW + col] = v;
}
