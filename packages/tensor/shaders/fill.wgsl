// Fills n 32-bit words with one bit pattern (a float32 or int32 value), or with start + i·step
// when ARANGE is true (arange).
{{PARAMS}}

@group(0) @binding(0) var<storage, read_write> dst: array<u32>;
@group(0) @binding(1) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (i >= p.n) { return; }
  if ({{ARANGE}}) {
    dst[i] = bitcast<u32>(p.start + f32(i) * p.step);
  } else {
    dst[i] = p.bits;
  }
}
