// packages/tensor/src has no import cycle: tensor.ts imports no op (the fluent methods are
// installed by ops/fluent.ts), and the ops import one another in one direction. The graph is
// esbuild's: the run-time imports of a bundle of the package's index.ts (type-only imports are
// erased, as in the build). Node only: it bundles from the file system.
import { build } from 'esbuild';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../drgrade/helpers.ts';

type Graph = Map<string, string[]>;

/** One import cycle of `graph` as the path that closes it (first node repeated at the end), or null. */
function findCycle(graph: Graph): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') return [...path.slice(path.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    if (state.has(node)) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return null;
}

async function tensorImports(): Promise<Graph> {
  const root = repoRoot();
  const result = await build({
    absWorkingDir: root, entryPoints: ['packages/tensor/src/index.ts'], bundle: true, write: false, metafile: true,
    format: 'esm', platform: 'node', loader: { '.wgsl': 'text' }, external: ['webgpu'], logLevel: 'silent',
    tsconfig: join(root, 'tsconfig.json'),
  });
  const graph: Graph = new Map();
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    if (!file.startsWith('packages/tensor/src/')) continue;
    graph.set(file, input.imports.filter((i) => !i.external && i.path.startsWith('packages/tensor/src/')).map((i) => i.path));
  }
  return graph;
}

test('the cycle finder finds a cycle two calls deep and none in a diamond', () => {
  assert.equal(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', ['b']]])), ['b', 'c', 'b']);
  assert.is(findCycle(new Map([['a', ['b', 'c']], ['b', ['d']], ['c', ['d']], ['d', []]])), null);
});

test('packages/tensor/src imports without a cycle, tensor.ts no op', async () => {
  const graph = await tensorImports();
  // The graph is the package's: the class, the ops and the module that joins them are in it.
  for (const file of ['tensor.ts', 'ops/fluent.ts', 'ops/elementwise.ts', 'ops/conv2d/conv2d.ts']) {
    assert.ok(graph.has(`packages/tensor/src/${file}`), `${file} is not in the import graph`);
  }
  assert.equal(graph.get('packages/tensor/src/tensor.ts')!.filter((f) => f.includes('/ops/')), []);
  const cycle = findCycle(graph);
  assert.is(cycle, null, `import cycle: ${cycle?.join(' -> ')}`);
});

test.run();
