// Gradient of the HBP interaction for one operand: out[row, s] = g[row]·other[row, s] over
// [rows, L] of T (vec4 when H·W is a multiple of 4), i.e. da = g ⊗ b and db = g ⊗ a with g
// broadcast over space. Rows are the N·D maps (rows.wgsl); lanes step through them. g is of S and
// T's elements too (f32, or f16 with ENABLE's `enable f16;`); each product is taken in f32 (ACC).
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> g: array<{{S}}>;
@group(0) @binding(1) var<storage, read> other: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(3) var<uniform> p: Params;

{{ROWS}}

@compute @workgroup_size(ROW_WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rl = rowLane(wid, nwg, lid, p.shift);
  let row = rl.x;
  if (row >= p.rows) { return; }
  let gv = f32(g[row]);
  let base = row * p.L;
  for (var s = rl.y; s < p.L; s += rl.z) { out[base + s] = {{T}}(gv * {{ACC}}(other[base + s])); }
}
