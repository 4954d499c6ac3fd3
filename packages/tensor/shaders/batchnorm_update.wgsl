// Training-mode batch norm, per channel: from the batch statistics (count, mean, M2) it writes
// the parameters the element kernels use, (mean, 1/sqrt(biased var + eps), weight, bias), and the
// new running statistics as PyTorch: r ← (1 − momentum)·r + momentum·batch, with the unbiased
// variance M2 / (count − 1) for the running variance.
{{PARAMS}}

@group(0) @binding(0) var<storage, read> stats: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> runningMean: array<f32>;
@group(0) @binding(2) var<storage, read> runningVar: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> params: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> newMean: array<f32>;
@group(0) @binding(7) var<storage, read_write> newVar: array<f32>;
@group(0) @binding(8) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  let s = stats[c];
  params[c] = vec4<f32>(s.y, inverseSqrt(s.z / s.x + p.eps), weight[c], bias[c]);
  newMean[c] = (1.0 - p.momentum) * runningMean[c] + p.momentum * s.y;
  newVar[c] = (1.0 - p.momentum) * runningVar[c] + p.momentum * s.z / (s.x - 1.0);
}
