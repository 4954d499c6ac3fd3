// indexSelect: y[o, j, i] = x[o, idx[j], i] for x viewed as [outer, R, inner] and J indices.
// With BACKWARD = true it is the adjoint: y[o, r, i] = sum over j with idx[j] = r of g[o, j, i],
// written as a gather over j so no float atomics are needed.
{{PARAMS}}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if ({{BACKWARD}}) {
    if (t >= p.outer * p.R * p.inner) { return; }
    let i = t % p.inner;
    let r = (t / p.inner) % p.R;
    let o = t / (p.inner * p.R);
    var acc = 0.0;
    for (var j = 0u; j < p.J; j++) {
      if (u32(idx[j]) == r) { acc += x[(o * p.J + j) * p.inner + i]; }
    }
    y[t] = acc;
  } else {
    if (t >= p.outer * p.J * p.inner) { return; }
    let i = t % p.inner;
    let j = (t / p.inner) % p.J;
    let o = t / (p.inner * p.J);
    y[t] = x[(o * p.R + u32(idx[j])) * p.inner + i];
  }
}
