// Emits each package's TypeScript declarations into packages/<name>/dist/types, for the published
// tarballs (run by each package's `prepack`; the monorepo itself type-checks from the sources).
//
//   node scripts/build-types.mjs [tensor|nn|drgrade ...]   (default: all three)
//
// A package is compiled against the declarations already emitted for the packages it imports,
// the way a consumer sees them, so those are built first when missing. Sources import with `.ts`
// extensions (esbuild bundles them); the declarations say `.js`, which both `nodenext` and
// `bundler` resolution map to the `.d.ts` beside it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const DEPENDENCIES = { tensor: [], nn: ['tensor'], drgrade: ['tensor', 'nn'] };
const PACKAGE_NAMES = { tensor: '@drgrade/tensor', nn: '@drgrade/nn', drgrade: 'drgrade' };

const typesDir = (pkg) => join(root, 'packages', pkg, 'dist', 'types');

function declarationFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return declarationFiles(p);
    return name.endsWith('.d.ts') ? [p] : [];
  });
}

function emit(pkg) {
  const out = typesDir(pkg);
  rmSync(out, { recursive: true, force: true });
  const configDir = join(root, 'build', 'types');
  mkdirSync(configDir, { recursive: true });
  const config = join(configDir, `tsconfig.${pkg}.json`);
  const paths = Object.fromEntries(DEPENDENCIES[pkg].map((dep) => [PACKAGE_NAMES[dep], [join(typesDir(dep), 'index.d.ts')]]));
  writeFileSync(config, JSON.stringify({
    extends: join(root, 'tsconfig.json'),
    compilerOptions: {
      noEmit: false, declaration: true, emitDeclarationOnly: true, declarationMap: false,
      rootDir: join(root, 'packages', pkg, 'src'), outDir: out, paths,
    },
    include: [join(root, 'packages', pkg, 'src'), join(root, 'packages', 'tensor', 'shaders', 'wgsl.d.ts')],
  }, null, 2));
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config], { stdio: 'inherit' });
  const relativeTs = /(\bfrom\s+|\bimport\s*\(\s*)(['"])(\.{1,2}\/[^'"]*)\.ts\2/g;
  for (const file of declarationFiles(out)) {
    const text = readFileSync(file, 'utf8');
    const fixed = text.replace(relativeTs, '$1$2$3.js$2');
    if (fixed !== text) writeFileSync(file, fixed);
  }
  console.log(`drgrade: declarations of ${PACKAGE_NAMES[pkg]} in ${out}`);
}

const asked = process.argv.slice(2);
for (const pkg of asked) if (!(pkg in DEPENDENCIES)) throw new Error(`build-types: unknown package "${pkg}" (tensor, nn or drgrade)`);
const wanted = asked.length ? asked : Object.keys(DEPENDENCIES);
for (const pkg of Object.keys(DEPENDENCIES)) {
  const needed = wanted.includes(pkg) || wanted.some((w) => DEPENDENCIES[w].includes(pkg) && !existsSync(join(typesDir(pkg), 'index.d.ts')));
  if (needed) emit(pkg);
}
