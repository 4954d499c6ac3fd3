/**
 * An error caused by what the user asked for or gave us (a bad option, an unreadable data set),
 * as opposed to a bug. The CLI prints its message as one line, without a stack trace.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** A UserError in how the command was called (options that contradict each other, a value out of range): exit status 2. */
export class UsageError extends UserError {
  override name = 'UsageError';
}

/** Why an image file could not be turned into pixels, or why its pixels cannot be graded. */
export type ImageErrorKind = 'corrupt' | 'truncated' | 'unsupported' | 'too-large' | 'ungradable';

/** An image file that cannot be decoded; `kind` says why, so it can be reported as a data problem. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
  constructor(
    readonly kind: ImageErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** Message of any thrown value, for reports that must not show stack traces. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Node's file-system failures that follow from the path a user gave, each with what to do. The
 * raw messages ("EEXIST: file already exists, mkdir ...") name the system call, not the fix, and
 * EEXIST from mkdir means "a file is in the way", which its text does not say.
 */
const FS_FAILURES: Record<string, (path: string) => string> = {
  ENOENT: (p) => `${p}: no such file or folder`,
  EACCES: (p) => `${p}: permission denied; choose a path you may read and write, or change its permissions`,
  EPERM: (p) => `${p}: operation not permitted; choose a path you may read and write, or change its permissions`,
  EEXIST: (p) => `${p}: a file is in the way where a folder is needed; move it or choose another path`,
  ENOTDIR: (p) => `${p}: a part of this path is a file, not a folder; choose another path`,
  EISDIR: (p) => `${p}: is a folder where a file is needed; give the path of a file`,
  ENOSPC: (p) => `${p}: no space left on the device; free some space or choose another disk`,
  EROFS: (p) => `${p}: the file system is read-only; choose a writable location`,
  ENAMETOOLONG: (p) => `${p}: the path is too long`,
  ELOOP: (p) => `${p}: too many symbolic links (a link loop?)`,
  EMFILE: (p) => `${p}: too many open files; raise the limit (ulimit -n) or use fewer --workers`,
};

/** The one-line explanation of a Node file-system error about a path, or null for any other error. */
export function fileSystemMessage(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  let { code, path } = error as Error & { code?: unknown; path?: unknown };
  // An error from a worker thread arrives as its message only: "ENOTDIR: not a directory, mkdir '/x'".
  const parsed = /^(E[A-Z]+): [^,]+, \w+ '(.+?)'/.exec(error.message);
  if (code === undefined && parsed) [, code, path] = parsed;
  const explain = typeof code === 'string' ? FS_FAILURES[code] : undefined;
  return explain && typeof path === 'string' ? explain(path) : null;
}
