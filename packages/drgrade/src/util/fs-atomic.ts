import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a file so that readers (and a resumed run) only ever see it complete: the bytes go to
 * a temporary file beside it, which is then renamed over the target (atomic on one file system).
 * The temporary name carries the thread id so concurrent writers never share one.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string, threadId = 0): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}-${threadId}.partial`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    // Report the file the caller asked for, not the temporary name.
    if (error instanceof Error && 'path' in error && error.path === temp) error.path = path;
    throw error;
  }
}
