// Eval-mode batch norm, per channel: (running mean, 1/sqrt(running var + eps), weight, bias),
// the parameters the element kernels use.
{{PARAMS}}

@group(0) @binding(0) var<storage, read> runningMean: array<f32>;
@group(0) @binding(1) var<storage, read> runningVar: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> params: array<vec4<f32>>;
@group(0) @binding(5) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  params[c] = vec4<f32>(runningMean[c], inverseSqrt(runningVar[c] + p.eps), weight[c], bias[c]);
}
