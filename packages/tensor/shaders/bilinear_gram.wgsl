// B-CNN bilinear pooling: y[n] = X·Xᵀ·scale for X = x[n] viewed as [C, L] (L = H·W, scale = 1/L).
// Register-blocked, no workgroup memory: invocation (bj, bi, n) computes the 4x4 block of rows
// 4bi.. and columns 4bj.. as dot products of rows of X read along L (T = vec4 when L is a
// multiple of 4, then X is read as vec4 of L / 4). y is symmetric, so only blocks with bi <= bj
// are computed and each is written to both (i, j) and (j, i): half the work, exactly symmetric.
// X and y are of S (f32, or f16 with ENABLE's `enable f16;`); dot products and sums are f32 (ACC,
// T's f32 counterpart) and y is rounded once.
{{ENABLE}}
{{PARAMS}}

@group(0) @binding(0) var<storage, read> X: array<{{T}}>;
@group(0) @binding(1) var<storage, read_write> y: array<{{S}}>;
@group(0) @binding(2) var<uniform> p: Params;

fn d(a: {{T}}, b: {{T}}) -> f32 { return {{DOT}}; }

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let bj = gid.x;
  let bi = gid.y;
  let blocks = (p.C + 3u) / 4u;
  if (bj >= blocks || bi > bj) { return; }
  let base = gid.z * p.C * p.L;
  let last = p.C - 1u;
  // Rows past C are clamped for reading; their results are not written.
  let i0 = base + min(bi * 4u, last) * p.L;
  let i1 = base + min(bi * 4u + 1u, last) * p.L;
  let i2 = base + min(bi * 4u + 2u, last) * p.L;
  let i3 = base + min(bi * 4u + 3u, last) * p.L;
  let j0 = base + min(bj * 4u, last) * p.L;
  let j1 = base + min(bj * 4u + 1u, last) * p.L;
  let j2 = base + min(bj * 4u + 2u, last) * p.L;
  let j3 = base + min(bj * 4u + 3u, last) * p.L;
  var c0 = vec4<f32>(0.0);
  var c1 = vec4<f32>(0.0);
  var c2 = vec4<f32>(0.0);
  var c3 = vec4<f32>(0.0);
  for (var k = 0u; k < p.L; k++) {
    let a0 = X[i0 + k];
    let a1 = X[i1 + k];
    let a2 = X[i2 + k];
    let a3 = X[i3 + k];
    let b0 = X[j0 + k];
    let b1 = X[j1 + k];
    let b2 = X[j2 + k];
    let b3 = X[j3 + k];
    c0 += vec4<f32>(d(a0, b0), d(a0, b1), d(a0, b2), d(a0, b3));
    c1 += vec4<f32>(d(a1, b0), d(a1, b1), d(a1, b2), d(a1, b3));
    c2 += vec4<f32>(d(a2, b0), d(a2, b1), d(a2, b2), d(a2, b3));
    c3 += vec4<f32>(d(a3, b0), d(a3, b1), d(a3, b2), d(a3, b3));
  }
  let block = array<vec4<f32>, 4>(c0 * p.scale, c1 * p.scale, c2 * p.scale, c3 * p.scale);
  let out = gid.z * p.C * p.C;
  for (var r = 0u; r < 4u; r++) {
    let i = bi * 4u + r;
    if (i >= p.C) { break; }
    for (var c = 0u; c < 4u; c++) {
      let j = bj * 4u + c;
      if (j >= p.C) { break; }
      y[out + i * p.C + j] = {{S}}(block[r][c]);
      y[out + j * p.C + i] = {{S}}(block[r][c]);
    }
  }
}
