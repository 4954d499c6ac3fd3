// Sum of a split-K GEMM's parts (gemm_tiled.wgsl with SPLITS > 1), written straight into the
// op's output with its epilogue: OUT[i] = act(Σ_s PARTS[s·total + i] + bias[channel(i)]). The
// parts are stored split-major, so this kernel's reads, like the GEMM's stores, are contiguous
// across neighbouring invocations. The channel of element i is (i / plane) % channels (NCHW
// output: plane = H·W), the layout of every op with a bias epilogue.
// Params (ops/gemm/tiled.ts): total outputs, splits, and the epilogue's plane, channels, hasBias, relu.
{{PARAMS}}

@group(0) @binding(0) var<storage, read> PARTS: array<f32>;
@group(0) @binding(1) var<storage, read> BIAS: array<f32>;
@group(0) @binding(2) var<storage, read_write> OUT: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
  if (i >= p.total) { return; }
  var acc = 0.0;
  for (var s = 0u; s < p.splits; s++) { acc += PARTS[s * p.total + i]; }
  if (p.hasBias != 0u) { acc += BIAS[(i / p.plane) % p.channels]; }
  if (p.relu != 0u) { acc = max(acc, 0.0); }
  OUT[i] = acc;
}
