// Batch norm input gradient over [N·C planes, L] of T (as batchnorm_apply.wgsl), with g' the
// upstream gradient (masked by the recomputed pre-activation > 0 with RELU). Eval mode
// (statistics are constants): dx = g'·invstd·weight. Training mode (statistics depend on x,
// M = N·H·W values per channel): dx = invstd·weight·(g' − Σg'/M − xhat·Σ(g'·xhat)/M), with the
// sums from batchnorm_backward_reduce.wgsl. Rows are planes (rows.wgsl); lanes step through them.
// x may have CS ≥ C channels per image (see batchnorm_apply.wgsl); dx has the C normalised ones
// only (a channel-range gradient, ops/channel_grad.ts), laid out as g.
// x, g and dx are stored as S and computed as T (see batchnorm_apply.wgsl).
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> x: array<{{S}}>;
@group(0) @binding(1) var<storage, read> g: array<{{S}}>;
@group(0) @binding(2) var<storage, read> params: array<vec4<f32>>;
{{SUMS_DECL}}
@group(0) @binding({{DX_BINDING}}) var<storage, read_write> dx: array<{{S}}>;
@group(0) @binding({{PARAM_BINDING}}) var<uniform> p: Params;

const RELU: bool = {{RELU}};

{{ROWS}}

/** (Σ g', Σ g'·xhat) of channel c in training mode; zero in eval mode, where they do not enter dx. */
fn channelSums(c: u32) -> vec2<f32> {
  {{SUMS_BODY}}
}

@compute @workgroup_size(ROW_WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rl = rowLane(wid, nwg, lid, p.shift);
  let plane = rl.x;
  if (plane >= p.planes) { return; }
  let n = udiv(plane, p.C);
  let c = plane - n * p.C;
  let pr = params[c];
  let scale = pr.y * pr.z;
  // dx = scale·g' + kx·(x − mean) + k0
  let sums = channelSums(c);
  let kx = -scale * pr.y * sums.y * p.invM;
  let k0 = -scale * sums.x * p.invM;
  let base = plane * p.L;
  let xbase = (n * p.CS + c) * p.L;
  for (var s = rl.y; s < p.L; s += rl.z) {
    let d = {{T}}(x[xbase + s]) - pr.x;
    var gv = {{T}}(g[base + s]);
    if (RELU) { gv = select({{T}}(0.0), gv, d * scale + pr.w > {{T}}(0.0)); }
    dx[base + s] = {{S}}(scale * gv + kx * d + k0);
  }
}
