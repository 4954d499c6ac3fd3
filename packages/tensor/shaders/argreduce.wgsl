// Index of the first maximum (CMP = >) or minimum (<) along R of x viewed as [outer, R, inner].
// x is of S (f32, or f16 with ENABLE's `enable f16;`); values are compared as f32, which orders
// float16 values exactly as float16 does.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> x: array<{{S}}>;
@group(0) @binding(1) var<storage, read_write> y: array<i32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (t >= p.outer * p.inner) { return; }
  let i = t % p.inner;
  let o = t / p.inner;
  let base = o * p.R * p.inner + i;
  var best = f32(x[base]);
  var arg = 0u;
  for (var r = 1u; r < p.R; r++) {
    let v = f32(x[base + r * p.inner]);
    if (v {{CMP}} best) { best = v; arg = r; }
  }
  y[t] = i32(arg);
}
