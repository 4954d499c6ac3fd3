#!/usr/bin/env node
// drgrade's test runner. Bundles every test/**/*.test.ts with esbuild and runs it with uvu in
// Node (Dawn) and, unless it ends in .node.test.ts, again in headless Chromium (WebGPU on
// SwiftShader), then prints one summary line: "N passed, N failed".
//
//   node test/run.mjs [--node-only | --browser-only] [substring...]
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { readdirSync, readFileSync, statSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, relative, extname } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const args = process.argv.slice(2);
const nodeOnly = args.includes('--node-only');
const browserOnly = args.includes('--browser-only');
const filters = args.filter((a) => !a.startsWith('--'));

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'fixtures' || name === 'helpers' ? [] : findTests(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

const tests = findTests(join(root, 'test')).sort()
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)));
const outName = (f) => relative(join(root, 'test'), f).replace(/\//g, '__').replace(/\.ts$/, '.js');
const common = {
  bundle: true, format: 'esm', target: 'es2022', sourcemap: 'inline', loader: { '.wgsl': 'text' },
  tsconfig: join(root, 'tsconfig.json'), logLevel: 'error',
  external: ['webgpu', 'node:*', 'pngjs', 'jpeg-js', 'playwright-core', 'esbuild', 'worker_threads', 'fs', 'path', 'os', 'url', 'zlib', 'http', 'child_process', 'crypto'],
};

/** Parses uvu's closing block ("Total: N", "Passed: N", "Skipped: N"). */
function parseUvu(text) {
  const clean = text.replace(/\x1b\[[0-9;]*m/g, '');
  const num = (label) => {
    const all = [...clean.matchAll(new RegExp(`${label}:\\s+(\\d+)`, 'g'))];
    return all.length ? all.reduce((s, m) => s + Number(m[1]), 0) : null;
  };
  const total = num('Total'), passed = num('Passed'), skipped = num('Skipped') ?? 0;
  if (total === null || passed === null) return null;
  return { passed, failed: total - passed - skipped, skipped };
}

const results = [];
function report(env, file, res, seconds, output) {
  const name = relative(root, file);
  if (!res) {
    results.push({ env, name, passed: 0, failed: 1, skipped: 0 });
    console.log(`✘ [${env}] ${name}: crashed or timed out (${seconds.toFixed(1)} s)\n${output.split('\n').slice(-40).join('\n')}`);
    return;
  }
  results.push({ env, name, ...res });
  const mark = res.failed ? '✘' : '✔';
  console.log(`${mark} [${env}] ${name}: ${res.passed} passed, ${res.failed} failed${res.skipped ? `, ${res.skipped} skipped` : ''} (${seconds.toFixed(1)} s)`);
  if (res.failed) console.log(output.split('\n').filter((l) => !/artificially reduced/.test(l)).join('\n'));
}

async function runNode() {
  const dir = join(root, 'build/test/node');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build({ ...common, platform: 'node', entryPoints: Object.fromEntries(tests.map((f) => [outName(f).replace(/\.js$/, ''), f])), outdir: dir });
  for (const file of tests) {
    const t0 = performance.now();
    const output = await new Promise((resolve) => {
      // Kernel autotuning is off unless asked for (DRGRADE_AUTOTUNE=1): results must not depend on timing.
      const child = spawn(process.execPath, [join(dir, outName(file))], { cwd: root, env: { DRGRADE_AUTOTUNE: '0', ...process.env, FORCE_COLOR: '0' } });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { out += d; });
      const timer = setTimeout(() => child.kill('SIGKILL'), 15 * 60 * 1000);
      child.on('close', (code) => { clearTimeout(timer); resolve({ out, code }); });
    });
    const res = parseUvu(output.out);
    report('node', file, output.code === 0 || res?.failed ? res : null, (performance.now() - t0) / 1000, output.out);
  }
}

const MIME = { '.js': 'text/javascript', '.html': 'text/html', '.json': 'application/json', '.map': 'application/json', '.png': 'image/png', '.jpg': 'image/jpeg' };

function serve() {
  const requests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    requests.push(url.pathname);
    if (url.pathname === '/runner.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><meta charset="utf-8"><title>drgrade tests</title><script>globalThis.DRGRADE_AUTOTUNE = ${JSON.stringify(process.env.DRGRADE_AUTOTUNE ?? '0')};</script><script type="module" src="/build/test/browser/${url.searchParams.get('file')}"></script>`);
      return;
    }
    const path = join(root, decodeURIComponent(url.pathname));
    if (!path.startsWith(root) || !existsSync(path) || statSync(path).isDirectory()) {
      res.writeHead(404); res.end(); return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream' });
    res.end(readFileSync(path));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, requests })));
}

// Shared with tests that drive Chromium themselves (test/web/page.node.test.ts).
export const CHROMIUM_ARGS = JSON.parse(readFileSync(join(root, 'test/helpers/chromium-args.json'), 'utf8'));

async function runBrowser() {
  const browserTests = tests.filter((f) => !f.endsWith('.node.test.ts'));
  if (browserTests.length === 0) return;
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!chromium) {
    console.log('✘ [browser] chromium is not installed (apt-get install chromium): browser tests could not run');
    results.push({ env: 'browser', name: 'chromium', passed: 0, failed: 1, skipped: 0 });
    return;
  }
  const dir = join(root, 'build/test/browser');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await build({ ...common, platform: 'browser', entryPoints: Object.fromEntries(browserTests.map((f) => [outName(f).replace(/\.js$/, ''), f])), outdir: dir,
    define: { 'process.env.NODE_ENV': '"test"' } });
  const { chromium: pw } = await import('playwright-core');
  const { server, port } = await serve();
  const userDataDir = join(root, 'build/test/chromium-profile');
  rmSync(userDataDir, { recursive: true, force: true });
  const context = await pw.launchPersistentContext(userDataDir, { executablePath: chromium, headless: true, args: CHROMIUM_ARGS });
  try {
    for (const file of browserTests) {
      const t0 = performance.now();
      const page = await context.newPage();
      let out = '';
      const done = new Promise((resolve) => {
        page.on('console', (m) => { out += `${m.text()}\n`; if (/Duration:/.test(m.text())) resolve(); });
        page.on('pageerror', (e) => { out += `page error: ${e.message}\n`; resolve(); });
      });
      await page.goto(`http://127.0.0.1:${port}/runner.html?file=${outName(file)}`);
      const timeout = new Promise((resolve) => setTimeout(resolve, 15 * 60 * 1000));
      await Promise.race([done, timeout]);
      report('browser', file, parseUvu(out), (performance.now() - t0) / 1000, out);
      await page.close();
    }
  } finally {
    await context.close();
    server.close();
  }
}

const t0 = performance.now();
if (!browserOnly) await runNode();
if (!nodeOnly) await runBrowser();
const passed = results.reduce((s, r) => s + r.passed, 0);
const failed = results.reduce((s, r) => s + r.failed, 0);
const skipped = results.reduce((s, r) => s + r.skipped, 0);
console.log(`\ntest files: ${results.length}, time ${((performance.now() - t0) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || results.length === 0 ? 1 : 0);
