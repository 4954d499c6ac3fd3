// Shared-memory tiled GEMM core for the convolution kernels on GPUs: C = A * B per GEMM z, in
// 64x64 output tiles computed by 16x16 invocations holding 4x4 accumulators each, with the
// reduction staged through workgroup memory in slabs of 16. The op's loaders (appended from
// conv2d_<op>_tiled.wgsl) gather A and B elements straight from the tensors (implicit im2col)
// and store the results, so nothing is materialised. On GPUs each element loaded into a slab
// is reused by 64 invocations; CPU adapters pay heavily for the barriers and use the
// register-blocked kernels instead.
{{LOADERS}}

var<workgroup> tA: array<array<f32, 64>, 16>;
var<workgroup> tB: array<array<f32, 64>, 16>;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let z = wid.z;
  let d = gemmDims(z);
  let row0 = wid.y * 64u;
  let col0 = wid.x * 64u;
  let flat = lid.y * 16u + lid.x;
  var acc: array<vec4<f32>, 4>;
  for (var i = 0u; i < 4u; i++) { acc[i] = vec4<f32>(0.0); }
  for (var k0 = 0u; k0 < d.z; k0 += 16u) {
    for (var e = flat; e < 1024u; e += 256u) {
      let m = e / 16u;
      let k = e % 16u;
      var a = 0.0;
      if (row0 + m < d.x && k0 + k < d.z) { a = loadA(z, row0 + m, k0 + k); }
      tA[k][m] = a;
      let kb = e / 64u;
      let n = e % 64u;
      var b = 0.0;
      if (k0 + kb < d.z && col0 + n < d.y) { b = loadB(z, k0 + kb, col0 + n); }
      tB[kb][n] = b;
    }
    workgroupBarrier();
    for (var k = 0u; k < 16u; k++) {
      let b = vec4<f32>(tB[k][lid.x * 4u], tB[k][lid.x * 4u + 1u], tB[k][lid.x * 4u + 2u], tB[k][lid.x * 4u + 3u]);
      for (var i = 0u; i < 4u; i++) { acc[i] += tA[k][lid.y * 4u + i] * b; }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let m = row0 + lid.y * 4u + i;
    if (m >= d.x) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = col0 + lid.x * 4u + j;
      if (n < d.y) { storeC(z, m, n, acc[i][j]); }
    }
  }
}
