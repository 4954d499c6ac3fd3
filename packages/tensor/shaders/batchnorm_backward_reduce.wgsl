// First pass of batch norm's backward reductions over x and the upstream gradient g viewed as
// [N·C planes, L] of T (as batchnorm_stats.wgsl): lane k of the P lanes of plane (n, c) sums,
// over s = k, k + P, ... < L, g' and g'·xhat with xhat = (x − mean)·invstd, where g' = g (or, with
// RELU, g where the forward pre-activation was positive, recomputed exactly as
// batchnorm_apply.wgsl computes it). Partials [C, N·P] are summed by batchnorm_combine.wgsl to
// (Σ g', Σ g'·xhat) per channel: the bias and weight gradients, and the two sums the input
// gradient needs in training mode. x may have CS ≥ C channels per image (see batchnorm_apply.wgsl);
// g has C. x and g are stored as S and computed as T (see batchnorm_apply.wgsl).
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> x: array<{{S}}>;
@group(0) @binding(1) var<storage, read> g: array<{{S}}>;
@group(0) @binding(2) var<storage, read> params: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> partial: array<vec4<f32>>;
@group(0) @binding(4) var<uniform> p: Params;

const RELU: bool = {{RELU}};

{{ROWS}}

fn total(v: {{T}}) -> f32 { return {{TOTAL}}; }

@compute @workgroup_size(ROW_WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rl = rowLane(wid, nwg, lid, p.shift);
  let plane = rl.x;
  let k = rl.y;
  if (plane >= p.planes || k >= p.L) { return; }
  let n = udiv(plane, p.C);
  let c = plane - n * p.C;
  let pr = params[c];
  let scale = pr.y * pr.z;
  let base = plane * p.L;
  let xbase = (n * p.CS + c) * p.L;
  var sg = {{T}}(0.0);
  var sgx = {{T}}(0.0);
  for (var s = k; s < p.L; s += rl.z) {
    let d = {{T}}(x[xbase + s]) - pr.x;
    var gv = {{T}}(g[base + s]);
    if (RELU) { gv = select({{T}}(0.0), gv, d * scale + pr.w > {{T}}(0.0)); }
    sg += gv;
    sgx += gv * d;
  }
  partial[(c * p.N + n) * rl.z + k] = vec4<f32>(total(sg), total(sgx) * pr.y, 0.0, 0.0);
}
