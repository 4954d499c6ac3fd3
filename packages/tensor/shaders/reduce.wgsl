// One pass of a tree reduction of x viewed as [outer, R, inner] over R. Invocation (o, c, i)
// combines the at most CH elements r = c, c + P, c + 2P, ... of its row into partial c, so
// y is [outer, P, inner] with P = ceil(R / CH). Passes repeat until P = 1: every value in a
// float32 sum goes through O(log_CH R) additions of similar magnitude, not one long serial loop.
// Neighbouring invocations read neighbouring addresses (coalesced on GPUs, no barriers on CPUs).
// x and y are of SRC and DST (f32, or f16 with ENABLE's `enable f16;`); acc is f32 either way.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> x: array<{{SRC}}>;
@group(0) @binding(1) var<storage, read_write> y: array<{{DST}}>;
@group(0) @binding(2) var<uniform> p: Params;

const CH: u32 = {{CH}}u;

fn load(i: u32) -> f32 { return {{LOAD}}; }

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (t >= p.outer * p.P * p.inner) { return; }
  let i = t % p.inner;
  let c = (t / p.inner) % p.P;
  let o = t / (p.inner * p.P);
  let base = o * p.R * p.inner + i;
  // c < P <= R, so every partial has at least its first element to start from.
  var acc = load(base + c * p.inner);
  for (var r = c + p.P; r < p.R; r += p.P) {
    let v = load(base + r * p.inner);
    acc = {{COMBINE}};
  }
  y[t] = {{STORE}};
}
