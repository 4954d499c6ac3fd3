// Batch norm forward over x viewed as [N·C planes, L] of T (vec4<f32> when H·W is a multiple of
// 4): y = (x − mean)·(invstd·weight) + bias with the channel's params (mean, invstd, weight,
// bias); with RELU, y = max(that, 0) (eval DenseNet's BN-ReLU in one pass). Rows are planes
// (rows.wgsl), so the channel lookup is once per lane; lanes step through the plane. x may have
// CS ≥ C channels per image (a dense block's buffer, of which the first C are normalised); y has C.
// x and y are stored as S (T, or its f16 form with ENABLE's `enable f16;`) and computed as T.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> x: array<{{S}}>;
@group(0) @binding(1) var<storage, read> params: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<{{S}}>;
@group(0) @binding(3) var<uniform> p: Params;

const RELU: bool = {{RELU}};

{{ROWS}}

@compute @workgroup_size(ROW_WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let rl = rowLane(wid, nwg, lid, p.shift);
  let plane = rl.x;
  if (plane >= p.planes) { return; }
  let n = udiv(plane, p.C);
  let c = plane - n * p.C;
  let pr = params[c];
  let scale = pr.y * pr.z;
  let base = plane * p.L;
  let xbase = (n * p.CS + c) * p.L;
  for (var s = rl.y; s < p.L; s += rl.z) {
    let z = ({{T}}(x[xbase + s]) - pr.x) * scale + pr.w;
    if (RELU) { y[base + s] = {{S}}(max(z, {{T}}(0.0))); } else { y[base + s] = {{S}}(z); }
  }
}
