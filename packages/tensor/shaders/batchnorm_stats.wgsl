// First pass of batch norm's per-channel statistics over x viewed as [N·C planes, L], read as T
// (vec4<f32> when H·W is a multiple of 4, L = H·W / 4; else f32, L = H·W). Lane k of the P lanes
// of plane (n, c) (rows.wgsl) summarises the elements at s = k, k + P, k + 2P, ... < L as
// (count, mean, M2 = Σ (v − mean)²), from sums of d = v − v₀ with v₀ the plane's first element
// read by this lane: shifting by a nearby value keeps Σ d² − (Σ d)²/count free of cancellation
// even when |mean| ≫ std. Partials go to [C, N·P] for batchnorm_combine.wgsl (Chan's merge).
// x may have CS ≥ C channels per image, of which the first C are reduced. x is stored as S and
// computed as T (see batchnorm_apply.wgsl).
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> x: array<{{S}}>;
@group(0) @binding(1) var<storage, read_write> partial: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> p: Params;

{{ROWS}}

fn total(v: {{T}}) -> f32 { return {{TOTAL}}; }

@compute @workgroup_size(ROW_WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rl = rowLane(wid, nwg, lid, p.shift);
  let plane = rl.x;
  let k = rl.y;
  if (plane >= p.planes || k >= p.L) { return; }
  let n = udiv(plane, p.C);
  let c = plane - n * p.C;
  let base = (n * p.CS + c) * p.L;
  let shift = {{SHIFT}};
  var s1 = {{T}}(0.0);
  var s2 = {{T}}(0.0);
  var steps = 0u;
  for (var s = k; s < p.L; s += rl.z) {
    let d = {{T}}(x[base + s]) - shift;
    s1 += d;
    s2 += d * d;
    steps++;
  }
  let count = f32(steps * {{WIDTH}}u);
  let t1 = total(s1);
  let m = t1 / count;
  partial[(c * p.N + n) * rl.z + k] = vec4<f32>(count, shift + m, max(total(s2) - t1 * m, 0.0), 0.0);
}
