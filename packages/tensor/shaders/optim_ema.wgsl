// One step of an exponential moving average of one tensor, in place: a = d·a + (1 − d)·v (the
// weight average of timm's ModelEma, torch's a.lerp_(v, 1 − d)). One dispatch where the
// element-wise ops took three, once per parameter and step.
{{PARAMS}}

@group(0) @binding(0) var<storage, read> V: array<f32>;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (i >= p.n) { return; }
  A[i] = p.decay * A[i] + (1.0 - p.decay) * V[i];
}
