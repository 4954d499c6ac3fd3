// `drgrade serve`: the grading page (built by `npm run build:web` into dist/web) on 127.0.0.1,
// with a model file shipped beside it as model.safetensors (the one named, else the default model). Any static server can host
// the page; this one means a user needs nothing else, and the browser test serves the page
// through it exactly as users get it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { basename, extname, join, resolve, sep } from 'node:path';
import { decodeSafetensors } from '@drgrade/nn';
import { FORMAT } from '../train/checkpoint.ts';
import { UserError, errorMessage } from '../util/errors.ts';
import { drgradePackageDir } from '../util/worker-script.ts';
import { numberOption, stringOption } from './args.ts';
import type { Command } from './command.ts';
import { chooseModel, describeChoice, type ModelChoice } from './default-model.ts';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.safetensors': 'application/octet-stream',
};

/** The name the page fetches a shipped model under (see web/app.ts). */
export const SHIPPED_MODEL = 'model.safetensors';

export interface PageServerOptions {
  /** The built page: a folder holding index.html, app.js and style.css. */
  root: string;
  /** 0 picks a free port. */
  port: number;
  /** Bytes of a drgrade model file, served as /model.safetensors for the page to load at start. */
  model?: Uint8Array;
  /** The model's file name, which the page shows (sent as the response's Content-Disposition). */
  modelName?: string;
}

export interface PageServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** dist/web of the drgrade package, where scripts/build-web.mjs writes the page. */
export function builtPageDir(): string {
  const pkg = drgradePackageDir();
  const dir = pkg ? join(pkg, 'dist', 'web') : null;
  if (!dir || !existsSync(join(dir, 'index.html'))) {
    throw new UserError(`the page is not built (no ${dir ? join(dir, 'index.html') : 'dist/web/index.html'}): run "npm run build:web" in the repository`);
  }
  return dir;
}

/** Reads a model file for shipping, refusing files the page could not load. */
export function readModelForPage(path: string): Uint8Array {
  if (!existsSync(path)) throw new UserError(`model file ${path} does not exist`);
  const bytes = new Uint8Array(readFileSync(path));
  let format: string | undefined;
  try {
    format = decodeSafetensors(bytes, path).metadata.format;
  } catch (error) {
    throw new UserError(`${errorMessage(error)}: give a model file written by drgrade train (model-best.safetensors)`);
  }
  if (format !== FORMAT) throw new UserError(`${path} is not a drgrade model file (metadata format '${format ?? 'missing'}', expected '${FORMAT}')`);
  return bytes;
}

/**
 * The file a request path names inside `root`, or null. Paths are decoded first and then
 * must stay inside the folder, so neither `..` nor its percent-encoded forms can escape.
 */
function fileFor(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const path = resolve(root, `.${decoded === '/' ? '/index.html' : decoded}`);
  if (!path.startsWith(root + sep) || !existsSync(path) || !statSync(path).isFile()) return null;
  return path;
}

function send(res: ServerResponse, head: boolean, status: number, type: string, body: Uint8Array | string, extra: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, {
    ...extra,
    'content-type': type,
    'content-length': bytes.byteLength,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // The page talks to nothing but its own origin; the browser enforces it (index.html repeats
    // this as a meta tag for other servers).
    'content-security-policy': "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'none'",
    // A rebuilt page or another model must show up on reload.
    'cache-control': 'no-cache',
  });
  res.end(head ? undefined : bytes);
}

/** Serves the page on 127.0.0.1 only; nothing on the network can reach it. */
export async function startPageServer(options: PageServerOptions): Promise<PageServer> {
  const root = resolve(options.root);
  let port = options.port;
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      send(res, false, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    // A web site that rebinds its own name to 127.0.0.1 would otherwise read the page's files
    // (and the shipped model) from the user's browser: only local names are answered.
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      send(res, head, 421, 'text/plain; charset=utf-8', `unexpected Host header "${host}"\n`);
      return;
    }
    const { pathname } = new URL(req.url ?? '/', `http://${host}`);
    if (pathname === `/${SHIPPED_MODEL}`) {
      const name: Record<string, string> = options.modelName ? { 'content-disposition': `inline; filename="${options.modelName.replace(/[^\w.\- ]/g, '_')}"` } : {};
      if (options.model) send(res, head, 200, MIME['.safetensors']!, options.model, name);
      else send(res, head, 404, 'text/plain; charset=utf-8', 'no model is shipped with this page: start drgrade serve with --model <file>\n');
      return;
    }
    const file = fileFor(root, pathname);
    if (!file) {
      send(res, head, 404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    send(res, head, 200, MIME[extname(file)] ?? 'application/octet-stream', readFileSync(file));
  };
  const server = createServer(handle);
  await new Promise<void>((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      fail(error.code === 'EADDRINUSE' ? new UserError(`port ${options.port} is in use: choose another with --port <n> (0 picks a free one)`) : error);
    });
    server.listen(options.port, '127.0.0.1', () => done());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('drgrade serve: the server has no TCP address');
  port = address.port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () => new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    }),
  };
}

/**
 * The model the page gets: the file named by --model (an unusable one is an error), else the
 * default model; a missing default only warns, since the page lets the user choose a model.
 */
export function pageModel(named: string | undefined, cwd: string, warn: (line: string) => void, packageDir?: string | null): { model?: Uint8Array; modelName?: string; choice?: ModelChoice } {
  let choice: ModelChoice;
  try {
    choice = chooseModel(named, 'model', cwd, packageDir);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    warn(`drgrade serve: ${error.message}; the page will ask for a model file`);
    return {};
  }
  return { model: readModelForPage(choice.path), modelName: basename(choice.path), choice };
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'serve the grading page on 127.0.0.1 (grade photographs in the browser, nothing uploaded)',
  details: 'Serves the page built by "npm run build:web" (packages/drgrade/dist/web) to this computer only. The page runs preprocessing, the model and Grad-CAM on the browser\'s WebGPU; photographs and models never leave the browser. The page loads the model named by --model at start, else the shipped default model (models/drgrade-real.safetensors); a user can choose another on the page.',
  positionals: [],
  options: [
    { name: 'port', type: 'integer', default: 8080, placeholder: '<n>', description: 'port on 127.0.0.1 (0 picks a free one)' },
    { name: 'model', type: 'string', placeholder: '<file>', description: 'model file (model-best.safetensors) to ship with the page (default: models/drgrade-real.safetensors)' },
  ],
  examples: ['drgrade serve', 'drgrade serve --port 8000 --model runs/demo/fold-0/model-best.safetensors'],
  async run(args, context) {
    const port = numberOption(args, 'port') as number;
    if (port < 0 || port > 65535) throw new UserError(`--port must be 0..65535, got ${port}`);
    const { choice, ...shipped } = pageModel(stringOption(args, 'model'), context.cwd, (line) => context.stderr.write(`${line}\n`));
    const server = await startPageServer({ root: builtPageDir(), port, ...shipped });
    context.stdout.write(`serving the grading page at ${server.url}${choice ? ` with the model ${describeChoice(choice)}` : ' without a model'}; Ctrl+C stops\n`);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await server.close();
    return 0;
  },
};
