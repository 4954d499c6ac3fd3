// Strided copy of elements (32-bit words for float32 and int32, f16 for float16):
// out[outOffset + idx·outStrides] = in[inOffset + idx·inStrides] for every index idx of `shape`.
// Serves permute, expand, slice, concat, pad and contiguous().
{{ENABLE}}
struct Params {
  n: u32,
  rank: u32,
  inOffset: u32,
  outOffset: u32,
  shape: array<vec4<u32>, 2>,
  inStrides: array<vec4<u32>, 2>,
  outStrides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<storage, read> src: array<{{WORD}}>;
@group(0) @binding(1) var<storage, read_write> dst: array<{{WORD}}>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (i >= p.n) { return; }
  var rem = i;
  var si = p.inOffset;
  var di = p.outOffset;
  for (var d = i32(p.rank) - 1; d >= 0; d--) {
    let q = u32(d) / 4u;
    let r = u32(d) % 4u;
    let dim = p.shape[q][r];
    let idx = rem % dim;
    rem = rem / dim;
    si += idx * p.inStrides[q][r];
    di += idx * p.outStrides[q][r];
  }
  dst[di] = src[si];
}
