// Average pooling over x viewed as [planes, H, W], as torch.nn.functional.avg_pool2d (windows
// o·s − pad .. min(o·s − pad + k, size + pad), divided by that extent with countIncludePad, else
// by the number of cells inside the input) or, with ADAPTIVE, as adaptive_avg_pool2d (windows
// floor(o·size / out) .. ceil((o + 1)·size / out)). Rows are output rows (rows.wgsl); lanes
// step through their columns. x and y are of S (f32, or f16 with ENABLE's `enable f16;`); sums are f32.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> x: array<{{S}}>;
@group(0) @binding(1) var<storage, read_write> y: array<{{S}}>;
@group(0) @binding(2) var<uniform> p: Params;

const ADAPTIVE: bool = {{ADAPTIVE}};

{{ROWS}}

/** Window of output o along one axis: (first cell, end cell, divisor factor), cells clipped to the input. */
fn window(o: u32, k: i32, s: i32, pad: i32, inSize: u32, outSize: u32) -> vec3<i32> {
  if (ADAPTIVE) {
    let start = i32(udiv(o * inSize, outSize));
    let end = i32(udiv((o + 1u) * inSize + outSize - 1u, outSize));
    return vec3<i32>(start, end, end - start);
  }
  let start = i32(o) * s - pad;
  let end = min(start + k, i32(inSize) + pad);
  let cs = max(start, 0);
  let ce = min(end, i32(inSize));
  return vec3<i32>(cs, ce, select(ce - cs, end - start, p.includePad != 0u));
}

@compute @workgroup_size(ROW_WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rl = rowLane(wid, nwg, lid, p.shift);
  let row = rl.x;
  if (row >= p.rows) { return; }
  let plane = udiv(row, p.OH);
  let oh = row - plane * p.OH;
  let xBase = plane * p.H * p.W;
  let wh = window(oh, p.kH, p.sH, p.pH, p.H, p.OH);
  for (var ow = rl.y; ow < p.OW; ow += rl.z) {
    let ww = window(ow, p.kW, p.sW, p.pW, p.W, p.OW);
    var acc = 0.0;
    for (var h = wh.x; h < wh.y; h++) {
      let rowBase = xBase + u32(h) * p.W;
      for (var w = ww.x; w < ww.y; w++) { acc += f32(x[rowBase + u32(w)]); }
    }
    y[row * p.OW + ow] = {{S}}(acc / f32(wh.z * ww.z));
  }
}
