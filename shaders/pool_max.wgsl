// Max pooling over x viewed as [planes, H, W] (planes = N·C), as torch.nn.functional.max_pool2d:
// padding counts as -inf, so a window only looks at its cells inside the input (never empty, given
// padding <= kernel / 2 and PyTorch's ceil-mode rule), and the first maximum in row-major window
// order wins ties. With INDICES, idx[o] holds the argmax as h·W + w within its plane (what the
// backward kernel routes gradients to; PyTorch reports the same value).
// Rows are output rows (rows.wgsl); lanes step through their columns.
{{POOL_PARAMS}}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
{{INDEX_DECL}}
@group(0) @binding({{PARAM_BINDING}}) var<uniform> p: Params;

{{ROWS}}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rl = rowLane(wid, nwg, lid, p.shift);
  let row = rl.x;
  if (row >= p.rows) { return; }
  let plane = udiv(row, p.OH);
  let oh = row - plane * p.OH;
  let xBase = plane * p.H * p.W;
  let h0 = i32(oh) * p.sH - p.pH;
  let hs = max(h0, 0);
  let he = min(h0 + p.kH, i32(p.H));
  for (var ow = rl.y; ow < p.OW; ow += rl.z) {
    let w0 = i32(ow) * p.sW - p.pW;
    let ws = max(w0, 0);
    let we = min(w0 + p.kW, i32(p.W));
    // Start from the window's first cell (PyTorch starts from -inf with that cell's index: the same result).
    var arg = hs * i32(p.W) + ws;
    var best = x[xBase + u32(arg)];
    for (var h = hs; h < he; h++) {
      let rowBase = xBase + u32(h) * p.W;
      for (var w = ws; w < we; w++) {
        let v = x[rowBase + u32(w)];
        if (v > best) { best = v; arg = h * i32(p.W) + w; }
      }
    }
    let o = row * p.OW + ow;
    y[o] = best;
    {{STORE_INDEX}}
  }
}
