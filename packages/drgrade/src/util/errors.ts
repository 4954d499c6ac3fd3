/**
 * An error caused by what the user asked for or gave us (a bad option, an unreadable data set),
 * as opposed to a bug. The CLI prints its message as one line, without a stack trace.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** Why an image file could not be turned into pixels. */
export type ImageErrorKind = 'corrupt' | 'truncated' | 'unsupported' | 'too-large';

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
