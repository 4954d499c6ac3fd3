// Numerically stable softmax (LOG = false) or log-softmax (true) along R of x viewed as
// [outer, R, inner]: one invocation per (o, i) row; neighbouring invocations read neighbouring i.
{{PARAMS}}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (t >= p.outer * p.inner) { return; }
  let i = t % p.inner;
  let o = t / p.inner;
  let base = o * p.R * p.inner + i;
  var m = x[base];
  for (var r = 1u; r < p.R; r++) { m = max(m, x[base + r * p.inner]); }
  var s = 0.0;
  for (var r = 0u; r < p.R; r++) { s += exp(x[base + r * p.inner] - m); }
  let ls = log(s);
  for (var r = 0u; r < p.R; r++) {
    let k = base + r * p.inner;
    if ({{LOG}}) { y[k] = x[k] - m - ls; } else { y[k] = exp(x[k] - m) / s; }
  }
}
