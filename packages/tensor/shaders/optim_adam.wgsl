// One torch.optim.Adam / AdamW step of one parameter, in place (one dispatch, not a dozen):
//   Adam:  d = g + wd·p;   AdamW: p = p·(1 − lr·wd), d = g;
//   m = β1·m + (1 − β1)·d;  v = β2·v + (1 − β2)·d²;  v̂ = v, or max(v̂, v) with AMSGrad;
//   p = p − (lr / (1 − β1^t)) · m / (sqrt(v̂) / sqrt(1 − β2^t) + ε).
// The bias corrections come precomputed. AMSGRAD_* are empty without AMSGrad.
{{PARAMS}}

@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read_write> P: array<f32>;
@group(0) @binding(2) var<storage, read_write> M: array<f32>;
@group(0) @binding(3) var<storage, read_write> V: array<f32>;
{{AMSGRAD_BINDING}}
@group(0) @binding({{PARAM_BINDING}}) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (i >= p.n) { return; }
  var w = P[i];
  var d = G[i];
  if (p.decoupled != 0u) { w = w * (1.0 - p.lr * p.weightDecay); } else { d = d + p.weightDecay * w; }
  let m = M[i] * p.beta1 + d * (1.0 - p.beta1);
  let v = V[i] * p.beta2 + d * d * (1.0 - p.beta2);
  M[i] = m;
  V[i] = v;
  var second = v;
{{AMSGRAD_STEP}}
  let denom = sqrt(second) / p.sqrtBias2 + p.eps;
  P[i] = w - m / denom * (p.lr / p.bias1);
}
