// Packs convolution weights W [G, Og, Cg, KH, KW] for the register-blocked kernels:
// out[g, k, b, lane, comp] = W[g, ch, ...] with channel ch = b * SG * RV + comp * SG + lane,
// zero where ch is past the last channel. Read as vectors of RV, entry (g, k, b, lane) holds the
// RV channels that lane `lane` loads at reduction index k and shares with its subgroup.
// Forward: k = (c, kh, kw), ch = o. Backward-input: k = (o, kh, kw), ch = c. The source offset
// is ch * chStride + (k / KK) * kDivStride + k % KK within the group.
struct Params {
  total: u32,
  K: u32,
  NB: u32,
  SG: u32,
  RV: u32,
  CH: u32,
  KK: u32,
  chStride: u32,
  kDivStride: u32,
  gStride: u32,
}

@group(0) @binding(0) var<storage, read> W: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.total) { return; }
  let comp = i % p.RV;
  let lane = (i / p.RV) % p.SG;
  let b = (i / (p.RV * p.SG)) % p.NB;
  let rest = i / (p.RV * p.SG * p.NB);
  let k = rest % p.K;
  let g = rest / p.K;
  let ch = (b * p.RV + comp) * p.SG + lane;
  var v = 0.0;
  if (ch < p.CH) {
    v = W[g * p.gStride + ch * p.chStride + (k / p.KK) * p.kDivStride + k % p.KK];
  }
  out[i] = v;
}
