// Gradient of interpolate (interpolate.wgsl, same index arithmetic) as a gather: dx[plane, h, w]
// sums g over the outputs that read cell (h, w), times the weight they gave it. Source indices are
// non-decreasing in the output index, so along each axis those outputs form one range, found by
// first(t) = the first output whose (lower) source index is >= t: estimated in closed form, then
// corrected by stepping with the forward formula itself, so the range agrees with the forward
// pass bit for bit. Each lane writes 4 neighbouring inputs of a row at once (a vec4 store when W
// is a multiple of 4), reading each output that reads any of them once. Rows are input rows
// (rows.wgsl); lanes step through groups of 4 columns. g and dx are of S (f32, or f16 with
// ENABLE's `enable f16;`); the sums are f32, rounded once at the store (T is dx's element or vec4 type).
{{ENABLE}}
{{PARAMS}}

{{INTERPOLATE_INDEX}}

@group(0) @binding(0) var<storage, read> g: array<{{S}}>;
@group(0) @binding(1) var<storage, read_write> dx: array<{{T}}>;
@group(0) @binding(2) var<uniform> p: Params;

{{ROWS}}
const BILINEAR: bool = {{BILINEAR}};

/** The source index output d reads first (nearest: its only one). */
fn source(d: u32, inSize: u32, outSize: u32, scale: f32) -> i32 {
  if (BILINEAR) { return i32(linear(d, inSize, outSize, scale).i0); }
  return i32(nearest(d, inSize, outSize, scale));
}

/** The first output in [0, outSize] whose source index is >= t (outSize if none). */
fn first(t: i32, inSize: u32, outSize: u32, scale: f32) -> u32 {
  if (t <= 0) { return 0u; }
  var est = f32(t) / scale;
  if (BILINEAR) { est = (f32(t) + 0.5) / scale - 0.5; }
  var d = u32(clamp(ceil(est), 0.0, f32(outSize)));
  while (d > 0u && source(d - 1u, inSize, outSize, scale) >= t) { d--; }
  while (d < outSize && source(d, inSize, outSize, scale) < t) { d++; }
  return d;
}

/** Weights output d gives input cells i (4 of them) along one axis. */
fn weights(d: u32, i: vec4<u32>, inSize: u32, outSize: u32, scale: f32) -> vec4<f32> {
  if (!BILINEAR) { return select(vec4<f32>(0.0), vec4<f32>(1.0), vec4<u32>(nearest(d, inSize, outSize, scale)) == i); }
  let l = linear(d, inSize, outSize, scale);
  return select(vec4<f32>(0.0), vec4<f32>(1.0 - l.l1), vec4<u32>(l.i0) == i) + select(vec4<f32>(0.0), vec4<f32>(l.l1), vec4<u32>(l.i1) == i);
}

/** Outputs [first, end) that read input cell i along one axis. */
fn readers(i: u32, inSize: u32, outSize: u32, scale: f32) -> vec2<u32> {
  let lo = select(i32(i), i32(i) - 1, BILINEAR);
  return vec2<u32>(first(lo, inSize, outSize, scale), first(i32(i) + 1, inSize, outSize, scale));
}

@compute @workgroup_size(ROW_WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rl = rowLane(wid, nwg, lid, p.shift);
  let row = rl.x;
  if (row >= p.rows) { return; }
  let plane = udiv(row, p.H);
  let h = row - plane * p.H;
  let gBase = plane * p.OH * p.OW;
  let rh = readers(h, p.H, p.OH, p.scaleH);
  let groups = (p.W + 3u) / 4u;
  for (var q = rl.y; q < groups; q += rl.z) {
    let w = vec4<u32>(q * 4u) + vec4<u32>(0u, 1u, 2u, 3u);
    let first = readers(w.x, p.W, p.OW, p.scaleW).x;
    let end = readers(min(w.w, p.W - 1u), p.W, p.OW, p.scaleW).y;
    var acc = vec4<f32>(0.0);
    for (var oh = rh.x; oh < rh.y; oh++) {
      let rowBase = gBase + oh * p.OW;
      var racc = vec4<f32>(0.0);
      for (var ow = first; ow < end; ow++) { racc += weights(ow, w, p.W, p.OW, p.scaleW) * f32(g[rowBase + ow]); }
      acc += weights(oh, vec4<u32>(h), p.H, p.OH, p.scaleH).x * racc;
    }
    {{STORE}}
  }
}
