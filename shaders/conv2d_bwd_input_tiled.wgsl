// Loaders of the tiled input-gradient kernel (see conv2d_tiled.wgsl and, for the phase
// decomposition, conv2d_bwd_input.wgsl): GEMM z = (n, g, phase) with rows = input channels,
// columns = the pixels of one stride phase, and reduction k = (o, th, tw) over the taps that
// reach that phase only. Params as conv2d_bwd_input.wgsl (CB unused).
struct Params {
  // The geometry every convolution kernel shares (conv2d_geometry.wgsl).
{{CONV_GEOMETRY}}
  CB: u32,
  khStep: u32,
  kwStep: u32,
}

@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> Wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

struct Phase {
  rh: u32,
  rw: u32,
  kh0: u32,
  kw0: u32,
  nth: u32,  // taps of this phase along h
  ntw: u32,
  Wq: u32,   // width of the phase grid
  count: u32,
}

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

fn phaseOf(z: u32) -> Phase {
  let phase = z % (p.sh * p.sw);
  var f: Phase;
  f.rh = phase / p.sw;
  f.rw = phase % p.sw;
  f.kh0 = firstTap(f.rh, p.ph, p.dh, p.sh, p.khStep);
  f.kw0 = firstTap(f.rw, p.pw, p.dw, p.sw, p.kwStep);
  f.nth = select(0u, (p.KH - f.kh0 + p.khStep - 1u) / p.khStep, f.kh0 < p.KH);
  f.ntw = select(0u, (p.KW - f.kw0 + p.kwStep - 1u) / p.kwStep, f.kw0 < p.KW);
  f.Wq = (p.W + p.sw - 1u - f.rw) / p.sw;
  f.count = ((p.H + p.sh - 1u - f.rh) / p.sh) * f.Wq;
  return f;
}

fn gemmDims(z: u32) -> vec3<u32> {
  let f = phaseOf(z);
  return vec3<u32>(p.C, f.count, p.O * f.nth * f.ntw);
}

fn loadA(z: u32, c: u32, k: u32) -> f32 {
  let f = phaseOf(z);
  let g = (z / (p.sh * p.sw)) % p.G;
  let o = k / (f.nth * f.ntw);
  let kh = f.kh0 + ((k / f.ntw) % f.nth) * p.khStep;
  let kw = f.kw0 + (k % f.ntw) * p.kwStep;
  return Wt[((g * p.O + o) * p.C + c) * p.KH * p.KW + kh * p.KW + kw];
}

fn loadB(z: u32, k: u32, t: u32) -> f32 {
  let f = phaseOf(z);
  let ng = z / (p.sh * p.sw);
  let o = k / (f.nth * f.ntw);
  let kh = f.kh0 + ((k / f.ntw) % f.nth) * p.khStep;
  let kw = f.kw0 + (k % f.ntw) * p.kwStep;
  let oh = u32(i32(t / f.Wq) + (i32(f.rh + p.ph) - i32(kh * p.dh)) / i32(p.sh));
  let ow = u32(i32(t % f.Wq) + (i32(f.rw + p.pw) - i32(kw * p.dw)) / i32(p.sw));
  if (oh >= p.Ho || ow >= p.Wo) { return 0.0; }
  return DY[((ng * p.O + o) * p.Ho + oh) * p.Wo + ow];
}

fn storeC(z: u32, c: u32, t: u32, v: f32) {
  let f = phaseOf(z);
  let ng = z / (p.sh * p.sw);
  let ih = f.rh + p.sh * (t / f.Wq);
  let iw = f.rw + p.sw * (t % f.Wq);
  DX[((ng * p.C + c) * p.H + ih) * p.W + iw] = v;
}
