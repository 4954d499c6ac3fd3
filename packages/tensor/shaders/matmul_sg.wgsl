// Batched C = A·B for any M, N, K (A [batch, M, K], B [batch, K, N]), register-blocked with
// subgroup sharing: each invocation owns PL columns of C and the R = SG * RV rows of its
// workgroup. At each reduction step the lanes of a subgroup load RV rows' worth of A each
// (KV consecutive k at once, as a vec4 when K % 4 == 0) and pass them round with shuffles, so
// an A value is loaded once per subgroup rather than once per lane: on CPU adapters, where
// every storage load is a per-lane scalar loop, loads are what costs. No barriers.
// With BV = 4 (N a multiple of 4) each lane owns groups of 4 adjacent columns, loaded and stored
// as vec4 and accumulated with vec4 FMAs: one B load then serves 4 columns.
// A batch stride of 0 broadcasts that operand over the batch.
enable subgroups;
// Params (ops/matmul/kernels.ts): M, N, K, batch strides strideA, strideB, strideC, outs.
{{PARAMS}}

@group(0) @binding(0) var<storage, read> A: array<{{ATYPE}}>;
@group(0) @binding(1) var<storage, read> B: array<{{BTYPE}}>;
@group(0) @binding(2) var<storage, read_write> C: array<{{BTYPE}}>;
@group(0) @binding(3) var<uniform> p: Params;

const SG: u32 = {{SG}}u;
const KV: u32 = {{KV}}u;
const BV: u32 = {{BV}}u;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(subgroup_invocation_id) si: u32) {
  let m0 = wid.y * {{R}}u;
  // Columns in units of BV: nBase is this lane's first column group.
  let NB = p.N / BV;
  let nBase = wid.x * {{COLS}}u + li;
  let KA = p.K / KV;
  let aBase = wid.z * (p.strideA / KV);
  let bBase = wid.z * (p.strideB / BV);
  // Rows and columns past the edge are clamped so every lane keeps running the shuffles.
{{SETUP}}
{{ACC_DECL}}
  for (var k = 0u; k < KA; k++) {
{{LOAD_A}}
{{STEPS}}
  }
  let cBase = wid.z * (p.strideC / BV);
{{STORE}}
}
