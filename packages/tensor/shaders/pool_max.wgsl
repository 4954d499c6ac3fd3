// Max pooling over x viewed as [planes, H, W] (planes = N·C), as torch.nn.functional.max_pool2d:
// padding counts as -inf, so a window only looks at its cells inside the input (never empty, given
// padding <= kernel / 2 and PyTorch's ceil-mode rule), and the first maximum in row-major window
// order wins ties. With ADAPTIVE, as adaptive_max_pool2d: windows floor(o·size / out) ..
// ceil((o + 1)·size / out), the same as adaptive average pooling's. With INDICES, idx[o] holds
// the argmax as h·W + w within its plane (what the backward kernel routes gradients to; PyTorch
// reports the same value). Rows are output rows (rows.wgsl); lanes step through their columns.
// x and y are of S (f32, or f16 with ENABLE's `enable f16;`).
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> x: array<{{S}}>;
@group(0) @binding(1) var<storage, read_write> y: array<{{S}}>;
{{INDEX_DECL}}
@group(0) @binding({{PARAM_BINDING}}) var<uniform> p: Params;

const ADAPTIVE: bool = {{ADAPTIVE}};

{{ROWS}}

/** Window of output o along one axis: [first cell, end cell), clipped to the input. */
fn window(o: u32, k: i32, s: i32, pad: i32, inSize: u32, outSize: u32) -> vec2<i32> {
  if (ADAPTIVE) {
    return vec2<i32>(i32(udiv(o * inSize, outSize)), i32(udiv((o + 1u) * inSize + outSize - 1u, outSize)));
  }
  let start = i32(o) * s - pad;
  return vec2<i32>(max(start, 0), min(start + k, i32(inSize)));
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
    // Start from the window's first cell (PyTorch starts from -inf with that cell's index: the same result).
    var arg = wh.x * i32(p.W) + ww.x;
    var best = x[xBase + u32(arg)];
    for (var h = wh.x; h < wh.y; h++) {
      let rowBase = xBase + u32(h) * p.W;
      for (var w = ww.x; w < ww.y; w++) {
        let v = x[rowBase + u32(w)];
        if (v > best) { best = v; arg = h * i32(p.W) + w; }
      }
    }
    let o = row * p.OW + ow;
    y[o] = best;
    {{STORE_INDEX}}
  }
}
