// Resizing x viewed as [planes, H, W] to [planes, OH, OW] as torch.nn.functional.interpolate
// with align_corners = false, in PyTorch's float32 index arithmetic (scale = 1/scaleFactor when a
// factor was given, else in/out):
//   nearest:  src = min(floor(dst·scale), in − 1)  (dst itself when sizes are equal, dst/2 when doubled)
//   bilinear: src = max(scale·(dst + 0.5) − 0.5, 0), blended from floor(src) and the next cell
//             (clamped at the edge), both axes; identity when sizes are equal.
// Rows are output rows (rows.wgsl); lanes step through their columns. x and y are of S (f32, or
// f16 with ENABLE's `enable f16;`); the blend is computed in f32 and rounded once.
{{ENABLE}}
{{PARAMS}}

{{INTERPOLATE_INDEX}}

@group(0) @binding(0) var<storage, read> x: array<{{S}}>;
@group(0) @binding(1) var<storage, read_write> y: array<{{S}}>;
@group(0) @binding(2) var<uniform> p: Params;

{{ROWS}}
const BILINEAR: bool = {{BILINEAR}};

@compute @workgroup_size(ROW_WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rl = rowLane(wid, nwg, lid, p.shift);
  let row = rl.x;
  if (row >= p.rows) { return; }
  let plane = udiv(row, p.OH);
  let oh = row - plane * p.OH;
  let base = plane * p.H * p.W;
  if (BILINEAR) {
    let lh = linear(oh, p.H, p.OH, p.scaleH);
    let r0 = base + lh.i0 * p.W;
    let r1 = base + lh.i1 * p.W;
    for (var ow = rl.y; ow < p.OW; ow += rl.z) {
      let lw = linear(ow, p.W, p.OW, p.scaleW);
      let top = (1.0 - lw.l1) * f32(x[r0 + lw.i0]) + lw.l1 * f32(x[r0 + lw.i1]);
      let bottom = (1.0 - lw.l1) * f32(x[r1 + lw.i0]) + lw.l1 * f32(x[r1 + lw.i1]);
      y[row * p.OW + ow] = {{S}}((1.0 - lh.l1) * top + lh.l1 * bottom);
    }
  } else {
    let r = base + nearest(oh, p.H, p.OH, p.scaleH) * p.W;
    for (var ow = rl.y; ow < p.OW; ow += rl.z) {
      y[row * p.OW + ow] = x[r + nearest(ow, p.W, p.OW, p.scaleW)];
    }
  }
}
