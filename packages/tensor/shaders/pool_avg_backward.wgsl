// Gradient of average pooling (pool_avg.wgsl, same windows) as a gather: dx[plane, h, w] sums
// g[o] / divisor(o) over the outputs o whose window covers (h, w). Divisors are products of a
// row factor and a column factor. Each lane writes 4 neighbouring inputs of a row at once (a
// vec4 store when W is a multiple of 4), reading each output that covers any of them once.
// Rows are input rows (rows.wgsl); lanes step through groups of 4 columns. g is of S and dx of T
// (f32, or f16 forms with ENABLE's `enable f16;`); sums are f32.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> g: array<{{S}}>;
@group(0) @binding(1) var<storage, read_write> dx: array<{{T}}>;
@group(0) @binding(2) var<uniform> p: Params;

const ADAPTIVE: bool = {{ADAPTIVE}};

{{ROWS}}

/** The outputs [first, last] along one axis whose windows cover input position i. */
fn covering(i: u32, k: i32, s: i32, pad: i32, inSize: u32, outSize: u32) -> vec2<i32> {
  if (ADAPTIVE) {
    // start(o) <= i  <=>  o <= ceil((i + 1)·out / in) − 1;  end(o) > i  <=>  o >= floor(i·out / in).
    let lo = i32(udiv(i * outSize, inSize));
    let hi = i32(udiv((i + 1u) * outSize + inSize - 1u, inSize)) - 1;
    return vec2<i32>(lo, hi);
  }
  let ip = i32(i) + pad;
  let hi = min(i32(udiv(u32(ip), u32(s))), i32(outSize) - 1);
  let lo = select(i32(udiv(u32(ip - k), u32(s))) + 1, 0, ip < k);
  return vec2<i32>(lo, hi);
}

/** The divisor factor of output o along one axis (as in pool_avg.wgsl). */
fn extent(o: i32, k: i32, s: i32, pad: i32, inSize: u32, outSize: u32) -> f32 {
  if (ADAPTIVE) {
    let start = udiv(u32(o) * inSize, outSize);
    let end = udiv((u32(o) + 1u) * inSize + outSize - 1u, outSize);
    return f32(end - start);
  }
  let start = o * s - pad;
  let end = min(start + k, i32(inSize) + pad);
  if (p.includePad != 0u) { return f32(end - start); }
  return f32(min(end, i32(inSize)) - max(start, 0));
}

@compute @workgroup_size(ROW_WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rl = rowLane(wid, nwg, lid, p.shift);
  let row = rl.x;
  if (row >= p.rows) { return; }
  let plane = udiv(row, p.H);
  let h = row - plane * p.H;
  let gBase = plane * p.OH * p.OW;
  let rh = covering(h, p.kH, p.sH, p.pH, p.H, p.OH);
  let groups = (p.W + 3u) / 4u;
  let last = p.W - 1u;
  for (var q = rl.y; q < groups; q += rl.z) {
    let w0 = q * 4u;
    // Covering ranges of the 4 columns (the last ones clamped to the row: their sums are not stored).
    let c0 = covering(w0, p.kW, p.sW, p.pW, p.W, p.OW);
    let c1 = covering(min(w0 + 1u, last), p.kW, p.sW, p.pW, p.W, p.OW);
    let c2 = covering(min(w0 + 2u, last), p.kW, p.sW, p.pW, p.W, p.OW);
    let c3 = covering(min(w0 + 3u, last), p.kW, p.sW, p.pW, p.W, p.OW);
    let lo = vec4<i32>(c0.x, c1.x, c2.x, c3.x);
    let hi = vec4<i32>(c0.y, c1.y, c2.y, c3.y);
    var acc = vec4<f32>(0.0);
    for (var oh = rh.x; oh <= rh.y; oh++) {
      let rowBase = gBase + u32(oh) * p.OW;
      var racc = vec4<f32>(0.0);
      for (var ow = c0.x; ow <= c3.y; ow++) {
        let v = f32(g[rowBase + u32(ow)]) / extent(ow, p.kW, p.sW, p.pW, p.W, p.OW);
        racc += select(vec4<f32>(0.0), vec4<f32>(v), (vec4<i32>(ow) >= lo) & (vec4<i32>(ow) <= hi));
      }
      acc += racc / extent(oh, p.kH, p.sH, p.pH, p.H, p.OH);
    }
    {{STORE}}
  }
}
