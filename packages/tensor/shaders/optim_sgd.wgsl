// One torch.optim.SGD step of one parameter, in place:  d = g + wd·p;  b = μ·b + (1 − τ)·d
// (b = d at the first step);  d = d + μ·b (Nesterov) or b;  p = p − lr·d. One dispatch where
// the element-wise ops took six: a network has hundreds of parameters, and there the
// dispatches, not the arithmetic, set the optimiser's cost. MOMENTUM_* are empty without momentum.
{{PARAMS}}

@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read_write> P: array<f32>;
{{MOMENTUM_BINDING}}
@group(0) @binding({{PARAM_BINDING}}) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (i >= p.n) { return; }
  let w = P[i];
  var d = G[i] + p.weightDecay * w;
{{MOMENTUM_STEP}}
  P[i] = w - p.lr * d;
}
