// Loaders of the tiled weight-gradient kernel (gemm_tiled.wgsl and conv2d_bwd_weight.wgsl):
// GEMM z = (g, split) with rows = output channels, columns = (c, kh, kw) and the reduction over
// the pixels of output rows [s * rowsPer, (s + 1) * rowsPer); partial sums go to part[g, s]
// (this op splits its long reduction itself, so it runs the core with SPLITS = 1).
// Params (ops/conv2d/params.ts): the geometry (per group), the batch N, and the split of the
// N * Ho output rows into `splits` runs of `rowsPer`. X and DY are of T (f32, or f16 with ENABLE's
// `enable f16;`); the products, sums and partial sums are f32.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> X: array<{{T}}>;
@group(0) @binding(1) var<storage, read> DY: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

struct Ctx {
  M: u32,
  N: u32,
  K: u32,
  z: u32,
  g: u32,
  row0: u32, // first output row (n * Ho + oh) of this split
}

fn context(z: u32) -> Ctx {
  let s = z % p.splits;
  let row0 = min(s * p.rowsPer, p.N * p.Ho);
  let rows = min(row0 + p.rowsPer, p.N * p.Ho) - row0;
  return Ctx(p.O, p.C * p.KH * p.KW, rows * p.Wo, z, z / p.splits, row0);
}

fn loadA(c: Ctx, o: u32, k: u32) -> f32 {
  let row = c.row0 + k / p.Wo;
  let n = row / p.Ho;
  return f32(DY[((n * p.G + c.g) * p.O + o) * p.Ho * p.Wo + (row % p.Ho) * p.Wo + k % p.Wo]);
}

fn loadB(c: Ctx, k: u32, col: u32) -> f32 {
  let row = c.row0 + k / p.Wo;
  let n = row / p.Ho;
  let KK = p.KH * p.KW;
  let ch = col / KK;
  let kh = (col % KK) / p.KW;
  let kw = col % p.KW;
  let ih = u32(i32((row % p.Ho) * p.sh + kh * p.dh) - i32(p.ph));
  let iw = u32(i32((k % p.Wo) * p.sw + kw * p.dw) - i32(p.pw));
  if (ih >= p.H || iw >= p.W) { return 0.0; }
  return f32(X[(((n * p.G + c.g) * p.C + ch) * p.H + ih) * p.W + iw]);
}

fn outIndex(c: Ctx, o: u32, col: u32) -> u32 {
  return (c.z * p.O + o) * c.N + col;
}

fn outCount() -> u32 {
  return p.G * p.splits * p.O * p.C * p.KH * p.KW;
}

fn epilogue(c: Ctx, o: u32, v: f32) -> f32 {
  return v;
}
