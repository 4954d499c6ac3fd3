#!/usr/bin/env node
// The most multiply-adds per second a WGSL kernel gets from this adapter: each invocation runs
// chains of vec4 fused multiply-adds on registers (eight independent accumulators, no memory
// traffic in the loop), so no real kernel can beat it. Beside it, PyTorch's float32 matrix
// product on this machine's CPU (torch.mm, 2048³, all cores), when /usr/bin/python3 has torch:
// on a CPU adapter the ratio bounds how close any WGSL kernel can come to PyTorch.
//   node bench/fma-peak.js [--json]
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { json, loadOurs } from './common.js';

const lib = await loadOurs();
const device = await lib.getDevice();
const gpu = device.gpu;
const info = device.info;

const ITERATIONS = 2048, CHAINS = 8, WORKGROUPS = 512;

async function peak(workgroupSize) {
  const n = workgroupSize * WORKGROUPS;
  const out = gpu.createBuffer({ size: n * 16, usage: 0x80 /* STORAGE */ });
  const chains = Array.from({ length: CHAINS }, (_, k) => k);
  const code = `@group(0) @binding(0) var<storage, read_write> out: array<vec4f>;
@compute @workgroup_size(${workgroupSize}) fn main(@builtin(global_invocation_id) id: vec3u) {
  let m = vec4f(0.999); let c = vec4f(0.001);
  ${chains.map((k) => `var a${k} = vec4f(f32(id.x) + ${k}.0);`).join('\n  ')}
  for (var i = 0; i < ${ITERATIONS}; i++) { ${chains.map((k) => `a${k} = fma(a${k}, m, c);`).join(' ')} }
  out[id.x] = ${chains.map((k) => `a${k}`).join(' + ')};
}`;
  const pipeline = gpu.createComputePipeline({ layout: 'auto', compute: { module: gpu.createShaderModule({ code }), entryPoint: 'main' } });
  const bindGroup = gpu.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: out } }] });
  const run = async () => {
    const encoder = gpu.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(WORKGROUPS);
    pass.end();
    gpu.queue.submit([encoder.finish()]);
    await gpu.queue.onSubmittedWorkDone();
  };
  await run();
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    await run();
    best = Math.min(best, performance.now() - t0);
  }
  out.destroy();
  // Two FLOPs per lane of each vec4 FMA.
  return (n * ITERATIONS * CHAINS * 4 * 2) / best / 1e6;
}

const rows = [];
for (const size of [8, 64, 256]) rows.push({ workgroupSize: size, gflops: await peak(size) });
const best = Math.max(...rows.map((r) => r.gflops));

const py = spawnSync('/usr/bin/python3', ['-c', `
import json, os, time, torch
torch.set_num_threads(os.cpu_count() or 1)
a = torch.randn(2048, 2048); b = torch.randn(2048, 2048); torch.mm(a, b)
t = min((lambda s: (torch.mm(a, b), time.perf_counter() - s)[1])(time.perf_counter()) for _ in range(5))
print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'gflops': 2 * 2048 ** 3 / t / 1e9}))`], { encoding: 'utf8' });
const torch = py.status === 0 ? JSON.parse(py.stdout.trim()) : null;

if (json) {
  console.log(JSON.stringify({ adapter: info.name, rows, best, torch }));
} else {
  console.log(`Register-only vec4 FMA chains — adapter: ${info.name}`);
  console.log('| workgroup size | GFLOP/s |\n|---:|---:|');
  for (const r of rows) console.log(`| ${r.workgroupSize} | ${r.gflops.toFixed(1)} |`);
  console.log(torch
    ? `PyTorch ${torch.torch} torch.mm 2048³ on the CPU (${torch.threads} threads): ${torch.gflops.toFixed(1)} GFLOP/s, ${(torch.gflops / best).toFixed(1)}x this adapter's best`
    : 'PyTorch: not measured (no /usr/bin/python3 with torch)');
}
