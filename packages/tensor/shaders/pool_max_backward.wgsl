// Gradient of max pooling as a gather (no float atomics): dx[plane, h, w] sums g over the
// outputs whose recorded argmax idx is (h, w); those outputs' windows cover (h, w), so only the
// covering ones are visited: rows oh in [ceil((h + pH − kH + 1) / sH), floor((h + pH) / sH)]
// ∩ [0, OH), and likewise for columns (with ADAPTIVE, the outputs whose adaptive windows cover
// it, as in pool_avg_backward.wgsl). Each lane writes 4 neighbouring inputs of a row at once
// (a vec4 store when W is a multiple of 4), reading each covering output's (idx, g) once for
// all 4, which halves the loads against one input per lane. Rows are input rows (rows.wgsl);
// lanes step through groups of 4 columns. g is of S and dx of T (f32, or f16 forms with ENABLE's
// `enable f16;`); sums are f32.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> g: array<{{S}}>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> dx: array<{{T}}>;
@group(0) @binding(3) var<uniform> p: Params;

const ADAPTIVE: bool = {{ADAPTIVE}};

{{ROWS}}

/** The outputs [first, last] along one axis whose windows cover input position i. */
fn covering(i: i32, k: i32, s: i32, pad: i32, inSize: u32, outSize: u32) -> vec2<i32> {
  if (ADAPTIVE) {
    let lo = i32(udiv(u32(i) * outSize, inSize));
    let hi = i32(udiv((u32(i) + 1u) * outSize + inSize - 1u, inSize)) - 1;
    return vec2<i32>(lo, hi);
  }
  let hi = min(i32(udiv(u32(i + pad), u32(s))), i32(outSize) - 1);
  let lo = select(i32(udiv(u32(i + pad - k), u32(s))) + 1, 0, i + pad < k);
  return vec2<i32>(lo, hi);
}

@compute @workgroup_size(ROW_WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rl = rowLane(wid, nwg, lid, p.shift);
  let row = rl.x;
  if (row >= p.rows) { return; }
  let plane = udiv(row, p.H);
  let h = i32(row - plane * p.H);
  let gBase = plane * p.OH * p.OW;
  let rh = covering(h, p.kH, p.sH, p.pH, p.H, p.OH);
  let groups = (p.W + 3u) / 4u;
  for (var q = rl.y; q < groups; q += rl.z) {
    let w0 = i32(q * 4u);
    let cols = vec2<i32>(covering(w0, p.kW, p.sW, p.pW, p.W, p.OW).x, covering(min(w0 + 3, i32(p.W) - 1), p.kW, p.sW, p.pW, p.W, p.OW).y);
    let pos = vec4<i32>(h * i32(p.W) + w0) + vec4<i32>(0, 1, 2, 3);
    var acc = vec4<f32>(0.0);
    for (var oh = rh.x; oh <= rh.y; oh++) {
      let rowBase = gBase + u32(oh) * p.OW;
      for (var ow = cols.x; ow <= cols.y; ow++) {
        let o = rowBase + u32(ow);
        acc += select(vec4<f32>(0.0), vec4<f32>(f32(g[o])), pos == vec4<i32>(idx[o]));
      }
    }
    {{STORE}}
  }
}
