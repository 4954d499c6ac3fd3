// Helpers pasted into the row kernels (see packages/tensor/src/ops/planes.ts), which declare
// @workgroup_size(ROW_WORKGROUP_SIZE).

// limits.ts's ROW_WORKGROUP_SIZE and its log2.
const ROW_WORKGROUP_SIZE: u32 = {{ROW_WORKGROUP_SIZE}}u;
const ROW_WORKGROUP_LOG2: u32 = {{ROW_WORKGROUP_LOG2}}u;

// The row an invocation works on, its lane among the lanes sharing that row, and how many lanes
// share it: (row, lane, lanes). A workgroup's ROW_WORKGROUP_SIZE invocations cover 2^(ROW_WORKGROUP_LOG2 − shift) rows with
// 2^shift lanes each, and the grid's x splits long rows further; a lane visits the row's items
// lane, lane + lanes, ..., so neighbouring lanes touch neighbouring addresses.
fn rowLane(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, shift: u32) -> vec3<u32> {
  let perGroup = 1u << shift;
  let row = ((wid.y + wid.z * nwg.y) << (ROW_WORKGROUP_LOG2 - shift)) + (lid >> shift);
  return vec3<u32>(row, wid.x * perGroup + (lid & (perGroup - 1u)), nwg.x * perGroup);
}

// a / b for a < 2^24 without an integer division, which CPU adapters (lavapipe, SwiftShader)
// run one lane at a time (measured: 2.4x slower than a copy for one division per element): the
// float quotient of exact operands is within one of the true one, then one correction step.
fn udiv(a: u32, b: u32) -> u32 {
  var q = u32(f32(a) / f32(b));
  if (q * b > a) { q -= 1u; } else if ((q + 1u) * b <= a) { q += 1u; }
  return q;
}
