// Loaders of the tiled input-gradient kernel (gemm_tiled.wgsl; for the phase decomposition see
// conv2d_bwd_input.wgsl): GEMM z = (n, g, phase) with rows = input channels, columns = the
// pixels of one stride phase, and reduction k = (o, th, tw) over the taps that reach that phase
// only. The phase is worked out once per workgroup (context). With stride 1 (one phase, every
// tap) TAPS, NTW, SH and SW are constants where the kernel size is fixed at compile time, so
// decoding a loaded element's tap takes no division; a pointwise convolution (1x1, stride 1, no
// padding) reads dY[n, g] as the B matrix directly.
// Params (ops/conv2d/params.ts): the geometry (per group), the tap steps khStep, kwStep, and outs,
// the elements of dX (the stride between split-K parts). Storage is T (f32, or f16 with ENABLE's
// `enable f16;`, whose tiles run unsplit); products and sums are f32 either way.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> DY: array<{{T}}>;
@group(0) @binding(1) var<storage, read> Wt: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> OUT: array<{{T}}>;
@group(0) @binding(3) var<uniform> p: Params;

struct Ctx {
  M: u32,
  N: u32,
  K: u32,
  ng: u32,   // n * G + g
  g: u32,
  rh: u32,   // the phase: input pixels (rh + sh * i, rw + sw * j)
  rw: u32,
  kh0: u32,  // its first tap along each axis
  kw0: u32,
  taps: u32, // nth * ntw taps reach it
  ntw: u32,
  Wq: u32,   // width of the phase grid
}

// firstTap(r, pad, dil, stride, step): the first tap of a stride phase (conv2d_phase.wgsl).
{{PHASE_TAPS}}

fn context(z: u32) -> Ctx {
  let phase = z % (p.sh * p.sw);
  var c: Ctx;
  c.ng = z / (p.sh * p.sw);
  c.g = c.ng % p.G;
  c.rh = phase / p.sw;
  c.rw = phase % p.sw;
  c.kh0 = firstTap(c.rh, p.ph, p.dh, p.sh, p.khStep);
  c.kw0 = firstTap(c.rw, p.pw, p.dw, p.sw, p.kwStep);
  let nth = select(0u, (p.KH - c.kh0 + p.khStep - 1u) / p.khStep, c.kh0 < p.KH);
  c.ntw = select(0u, (p.KW - c.kw0 + p.kwStep - 1u) / p.kwStep, c.kw0 < p.KW);
  c.taps = nth * c.ntw;
  c.Wq = (p.W + p.sw - 1u - c.rw) / p.sw;
  c.M = p.C;
  c.N = ((p.H + p.sh - 1u - c.rh) / p.sh) * c.Wq;
  c.K = p.O * c.taps;
  return c;
}

fn loadA(c: Ctx, ch: u32, k: u32) -> f32 {
  let o = k / {{TAPS}};
  let kh = c.kh0 + ((k % {{TAPS}}) / {{NTW}}) * p.khStep;
  let kw = c.kw0 + (k % {{NTW}}) * p.kwStep;
  return f32(Wt[((c.g * p.O + o) * p.C + ch) * p.KH * p.KW + kh * p.KW + kw]);
}

const POINTWISE: bool = {{POINTWISE}};

// Phase pixels t..t+3 (those below N): the tap and the first pixel's position are decoded once;
// the next pixels step along the phase row, wrapping to the next where it ends.
fn loadB4(c: Ctx, k: u32, t: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (POINTWISE) {
    let base = (c.ng * p.O + k) * c.N;
    for (var i = 0u; i < 4u; i++) { if (t + i < c.N) { v[i] = f32(DY[base + t + i]); } }
    return v;
  }
  let o = k / {{TAPS}};
  let kh = c.kh0 + ((k % {{TAPS}}) / {{NTW}}) * p.khStep;
  let kw = c.kw0 + (k % {{NTW}}) * p.kwStep;
  let offh = (i32(c.rh + p.ph) - i32(kh * p.dh)) / {{SH}};
  let offw = (i32(c.rw + p.pw) - i32(kw * p.dw)) / {{SW}};
  let plane = (c.ng * p.O + o) * p.Ho;
  let pi0 = t / c.Wq;
  let pj0 = t % c.Wq;
  for (var i = 0u; i < 4u; i++) {
    var pi = pi0;
    var pj = pj0 + i;
    if (pj >= c.Wq) { pi += pj / c.Wq; pj = pj % c.Wq; }
    let oh = u32(i32(pi) + offh);
    let ow = u32(i32(pj) + offw);
    if (t + i < c.N && oh < p.Ho && ow < p.Wo) { v[i] = f32(DY[(plane + oh) * p.Wo + ow]); }
  }
  return v;
}

fn outIndex(c: Ctx, ch: u32, t: u32) -> u32 {
  if (POINTWISE) { return (c.ng * p.C + ch) * c.N + t; }
  let ih = c.rh + p.sh * (t / c.Wq);
  let iw = c.rw + p.sw * (t % c.Wq);
  return ((c.ng * p.C + ch) * p.H + ih) * p.W + iw;
}

fn outCount() -> u32 {
  return p.outs;
}

fn epilogue(c: Ctx, ch: u32, v: f32) -> {{T}} {
  return {{T}}(v);
}
