// Element-wise conversion between float32 and float16 storage: dst[i] = {{DST}}(src[i]). f32 to
// f16 rounds as the adapter converts (WGSL: the nearest representable value, ties to either).
enable f16;

{{PARAMS}}

@group(0) @binding(0) var<storage, read> src: array<{{SRC}}>;
@group(0) @binding(1) var<storage, read_write> dst: array<{{DST}}>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (i >= p.n) { return; }
  dst[i] = {{DST}}(src[i]);
}
