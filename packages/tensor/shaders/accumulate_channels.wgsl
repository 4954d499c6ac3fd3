// dst[n, offset + c, ...] += src[n, c, ...]: a gradient over a channel range of an [N, C, ...]
// tensor added into a float32 gradient of the whole tensor, in place (ops/channel_grad.ts). Both
// are flattened to [N, channels·L] of T (vec4<f32> when the plane size L is a multiple of 4, else
// f32); src is stored as S (T's float16 form for a float16 gradient, widened here).
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> src: array<{{S}}>;
@group(0) @binding(1) var<storage, read_write> dst: array<{{T}}>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (i >= p.n) { return; }
  // srcImage = K·L and dstImage = C·L values (of T) per image; offset = the first channel's, in dst.
  let image = i / p.srcImage;
  let d = image * p.dstImage + p.offset + (i - image * p.srcImage);
  dst[d] = dst[d] + {{T}}(src[i]);
}
