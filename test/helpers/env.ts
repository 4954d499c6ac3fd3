// Where a test runs, and how it reads repository files in Node and in the browser alike.
export const isBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

/** Reads a file given relative to the repository root (fetch in the browser, fs in Node). */
export async function readRepoFile(path: string): Promise<Uint8Array> {
  if (isBrowser) {
    const res = await fetch(`/${path}`);
    if (!res.ok) throw new Error(`fetch /${path}: ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  }
  const fs = await import('node:fs');
  const p = await import('node:path');
  return new Uint8Array(fs.readFileSync(p.join(repoRoot(), path)));
}

/** The repository root in Node: the nearest folder above the working directory holding the workspace package.json. */
export function repoRoot(): string {
  // Tests are started from the repository root by test/run.mjs.
  return process.cwd();
}
