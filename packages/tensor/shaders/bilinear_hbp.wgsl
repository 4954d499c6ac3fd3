// The HBP interaction, fused: y[row] = Σ_s a[row, s]·b[row, s] for a, b viewed as [N·D rows, L]
// (L = H·W), i.e. the element-wise product of two projected maps summed over space. One
// invocation per row; with T = vec4 (L a multiple of 4, a and b read as vec4 of L / 4) the four
// lanes are four interleaved partial sums, which also shortens the float32 sum chains. a, b and y
// are of S (f32, or f16 with ENABLE's `enable f16;`, T then vec4<f16> or f16); products and sums
// are f32 (ACC, T's f32 counterpart) and y is rounded once.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> a: array<{{T}}>;
@group(0) @binding(1) var<storage, read> b: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> y: array<{{S}}>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (row >= p.rows) { return; }
  let base = row * p.L;
  var acc = {{ACC}}(0.0);
  for (var s = 0u; s < p.L; s++) { acc += {{ACC}}(a[base + s]) * {{ACC}}(b[base + s]); }
  y[row] = {{S}}({{TOTAL}});
}
