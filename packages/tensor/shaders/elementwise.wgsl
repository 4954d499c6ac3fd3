// Element-wise map over one to three inputs with NumPy broadcasting.
// Generated parts: INPUTS declares the input bindings (a, b, c; f32 or f16 storage), LOAD reads
// x, y, z at the element's offsets as f32, STORE is the output (of OUT_T) as a function of x, y, z
// and p.alpha, p.beta. ENABLE is `enable f16;` when any binding holds f16.
// OFFSETS computes each operand's offset: broadcast index math, or the identity when every
// operand has the output's shape.
{{ENABLE}}
struct Params {
  n: u32,
  rank: u32,
  alpha: f32,
  beta: f32,
  shape: array<vec4<u32>, 2>,
  sa: array<vec4<u32>, 2>,
  sb: array<vec4<u32>, 2>,
  sc: array<vec4<u32>, 2>,
}

{{INPUTS}}
@group(0) @binding({{OUT_BINDING}}) var<storage, read_write> out: array<{{OUT_T}}>;
@group(0) @binding({{PARAM_BINDING}}) var<uniform> p: Params;

fn broadcastOffsets(i: u32) -> vec3<u32> {
  var rem = i;
  var o = vec3<u32>(0u, 0u, 0u);
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let dim = p.shape[q][r];
    let idx = rem % dim;
    rem = rem / dim;
    o += idx * vec3<u32>(p.sa[q][r], p.sb[q][r], p.sc[q][r]);
  }
  return o;
}

// e^x − 1 without the cancellation of exp(x) − 1 near 0 (WGSL has no expm1): a Taylor polynomial
// for |x| < 0.5 (truncation below 1e-7 relative), exp(x) − 1 beyond, where the difference is large.
fn expm1(x: f32) -> f32 {
  if (abs(x) >= 0.5) { return exp(x) - 1.0; }
  return x * (1.0 + x * (1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0
    + x * (1.0 / 720.0 + x * (1.0 / 5040.0 + x * (1.0 / 40320.0))))))));
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (i >= p.n) { return; }
  {{OFFSETS}}
  {{LOAD}}
  out[i] = {{STORE}};
}
