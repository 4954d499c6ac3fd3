// Packs convolution weights W [G, Og, Cg, KH, KW] for the register-blocked kernels:
// out[g, k, b, lane, comp] = W[g, ch, ...] with channel ch = b * SG * RV + comp * SG + lane,
// zero where ch is past the last channel. Read as vectors of RV, entry (g, k, b, lane) holds the
// RV channels that lane `lane` loads at reduction index k and shares with its subgroup.
// Forward: k = (c, kh, kw), ch = o. Backward-input: k = (o, kh, kw), ch = c. The source offset
// is ch * chStride + kc * kcStride + tap within the group, for k = kc * KK + tap.
//
// Each invocation takes one packed position x = (b * SG + lane) * RV + comp (gid.x) of one kc
// (gid.y) and group (gid.z) and copies its KK taps. SG and RV are constants of the pipeline, so
// x splits with shifts: a vector integer division is a loop over the lanes on CPU adapters (a
// form with six of them cost 13 % of a 1x1 input gradient; bench/RESULTS.md).
// Params (ops/conv2d/params.ts): rowLen (NB * SG * RV packed entries per k), KC (reduction rows
// before taps: Cg forward, Og input gradient), KK (taps per row), CH (channels packed) and the
// source strides chStride, kcStride, gStride. W is of T (f32 or f16); the packed rows are f32, which
// the register kernels compute in.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> W: array<{{T}}>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

const SG: u32 = {{SG}}u;
const RV: u32 = {{RV}}u;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let x = gid.x;
  if (x >= p.rowLen) { return; }
  let kc = gid.y;
  let g = gid.z;
  let comp = x % RV;
  let lane = (x / RV) % SG;
  let b = x / (RV * SG);
  let ch = (b * RV + comp) * SG + lane;
  let ok = ch < p.CH;
  let src = g * p.gStride + min(ch, p.CH - 1u) * p.chStride + kc * p.kcStride;
  let dst = ((g * p.KC + kc) * p.KK) * p.rowLen + x;
  for (var t = 0u; t < p.KK; t++) {
    out[dst + t * p.rowLen] = select(0.0, f32(W[src + t]), ok);
  }
}
