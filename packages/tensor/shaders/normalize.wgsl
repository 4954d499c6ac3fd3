// L2 normalisation along R of x viewed as [outer, R, inner], as torch.nn.functional.normalize:
// y = x / max(‖x‖, eps). With BACKWARD, writes the input gradient for upstream g instead:
// dx = g / d − [‖x‖ >= eps]·x·(Σ g·x) / (d²·‖x‖), d = max(‖x‖, eps) (clamp_min passes no
// gradient below eps). One invocation per (o, i) row; sums are taken in blocks of 64 so the
// float32 rounding error grows with 64 + R/64, not R (HBP rows have 8192 values). x, g and out
// are of S (f32, or f16 with ENABLE's `enable f16;`); sums are f32 and each output rounded once.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> x: array<{{S}}>;
{{GRAD_DECL}}
@group(0) @binding({{OUT_BINDING}}) var<storage, read_write> out: array<{{S}}>;
@group(0) @binding({{PARAM_BINDING}}) var<uniform> p: Params;

const BACKWARD: bool = {{BACKWARD}};

fn upstream(k: u32) -> f32 {
  {{UPSTREAM}}
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (t >= p.outer * p.inner) { return; }
  let i = t % p.inner;
  let base = (t / p.inner) * p.R * p.inner + i;
  var ss = 0.0;
  var sgx = 0.0;
  var r = 0u;
  while (r < p.R) {
    let end = min(r + 64u, p.R);
    var bss = 0.0;
    var bgx = 0.0;
    for (; r < end; r++) {
      let k = base + r * p.inner;
      let v = f32(x[k]);
      bss += v * v;
      if (BACKWARD) { bgx += upstream(k) * v; }
    }
    ss += bss;
    sgx += bgx;
  }
  let norm = sqrt(ss);
  let d = max(norm, p.eps);
  let coeff = select(0.0, sgx / (d * d * norm), norm >= p.eps);
  for (var r2 = 0u; r2 < p.R; r2++) {
    let k = base + r2 * p.inner;
    if (BACKWARD) { out[k] = {{S}}(upstream(k) / d - f32(x[k]) * coeff); } else { out[k] = {{S}}(f32(x[k]) / d); }
  }
}
