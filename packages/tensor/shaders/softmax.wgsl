// Numerically stable softmax (LOG = false) or log-softmax (true) along R of x viewed as
// [outer, R, inner]: one invocation per (o, i) row; neighbouring invocations read neighbouring i.
// x and y are of S (f32, or f16 with ENABLE's `enable f16;`); the maximum, the sum of exponentials
// and each output are computed in f32 and rounded once, as PyTorch's half softmax accumulates in float.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> x: array<{{S}}>;
@group(0) @binding(1) var<storage, read_write> y: array<{{S}}>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (t >= p.outer * p.inner) { return; }
  let i = t % p.inner;
  let o = t / p.inner;
  let base = o * p.R * p.inner + i;
  var m = f32(x[base]);
  for (var r = 1u; r < p.R; r++) { m = max(m, f32(x[base + r * p.inner])); }
  var s = 0.0;
  for (var r = 0u; r < p.R; r++) { s += exp(f32(x[base + r * p.inner]) - m); }
  let ls = log(s);
  for (var r = 0u; r < p.R; r++) {
    let k = base + r * p.inner;
    let v = f32(x[k]) - m;
    if ({{LOG}}) { y[k] = {{S}}(v - ls); } else { y[k] = {{S}}(exp(v) / s); }
  }
}
