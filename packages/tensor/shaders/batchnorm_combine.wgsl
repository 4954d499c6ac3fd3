// One pass of a per-channel tree reduction of partials viewed as [C, Q] → [C, P], P = ceil(Q / CH):
// invocation (c, k) merges partials k, k + P, k + 2P, ... With CHAN, partials are (count, mean,
// M2, ·), every count >= 1, merged by Chan et al.'s pairwise update (exact in exact arithmetic, and in float32 no
// sum of squares ever cancels); otherwise they are plain vec4 sums. Passes repeat until P = 1.
{{PARAMS}}

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> p: Params;

const CH: u32 = {{CH}}u;
const CHAN: bool = {{CHAN}};

fn merge(a: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
  if (!CHAN) { return a + b; }
  let n = a.x + b.x;
  let d = b.y - a.y;
  let f = b.x / n;
  return vec4<f32>(n, a.y + d * f, a.z + b.z + d * d * a.x * f, 0.0);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (t >= p.C * p.P) { return; }
  let k = t % p.P;
  let c = t / p.P;
  let base = c * p.Q;
  var acc = src[base + k];
  for (var j = k + p.P; j < p.Q; j += p.P) { acc = merge(acc, src[base + j]); }
  dst[t] = acc;
}
