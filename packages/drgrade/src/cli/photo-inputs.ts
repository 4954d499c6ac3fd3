// The photographs `predict` and `gradcam` are given: files, and folders standing for the JPEG and
// PNG files directly inside them, and how one that cannot be read is handled (--skip-bad).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isImageName } from '../data/image-files.ts';
import { decodeImage } from '../image/decode.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { ImageDecodeError, UserError, fileSystemMessage } from '../util/errors.ts';
import type { OptionSpec } from './args.ts';
import type { CliContext } from './command.ts';

export interface PhotoInput {
  /** As the user named it: the argument, or the folder argument joined with the file's name. */
  name: string;
  path: string;
  /** Why it is not a photograph that can be read (a missing path, a folder without images). */
  problem?: string;
}

/** A photograph that cannot be read; `reason` is the message without the name, for tables. */
export class PhotoError extends UserError {
  override name = 'PhotoError';
  constructor(readonly input: PhotoInput, readonly reason: string) {
    super(`${input.name}: ${reason}`);
  }
}

/** A file-system error about `path` as the words after the path ("no such file or folder"). */
function fsReason(error: unknown, path: string, fallback: string): string {
  const message = fileSystemMessage(error);
  return message?.startsWith(`${path}: `) ? message.slice(path.length + 2) : fallback;
}

export const PHOTO_SKIP_BAD_OPTION: OptionSpec = {
  name: 'skip-bad',
  type: 'boolean',
  description: 'report a photograph that cannot be read on one line and go on with the others, instead of stopping',
};

/** The inputs the arguments name, in argument order; a folder's images sorted by name. */
export function listPhotos(args: readonly string[], cwd: string): PhotoInput[] {
  return args.flatMap((name): PhotoInput[] => {
    const path = resolve(cwd, name);
    let folder: boolean;
    try {
      folder = statSync(path).isDirectory();
    } catch (error) {
      return [{ name, path, problem: fsReason(error, path, 'cannot be read') }];
    }
    if (!folder) return [{ name, path }];
    let names: string[];
    try {
      names = readdirSync(path).filter((n) => !n.startsWith('.') && isImageName(n)).sort();
    } catch (error) {
      return [{ name, path, problem: fsReason(error, path, 'the folder cannot be read') }];
    }
    if (names.length === 0) return [{ name, path, problem: 'a folder with no JPEG or PNG files in it' }];
    return names.map((n) => ({ name: join(name, n), path: join(path, n) }));
  });
}

/** The decoded photograph, or a PhotoError naming it and what is wrong. */
export function readPhoto(input: PhotoInput): RgbImage {
  if (input.problem) throw new PhotoError(input, input.problem);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(input.path);
  } catch (error) {
    throw new PhotoError(input, fsReason(error, input.path, 'cannot read the file'));
  }
  try {
    return decodeImage(bytes);
  } catch (error) {
    if (error instanceof ImageDecodeError) throw new PhotoError(input, error.message);
    throw error;
  }
}

/**
 * Calls `use` with each input's photograph. One that cannot be read stops the command, unless
 * `skipBad`: then it is reported on stderr as one line, `skipped` hears of it, and the others go on.
 */
export async function forEachPhoto(inputs: readonly PhotoInput[], options: { skipBad: boolean; command: string; context: CliContext },
  use: (input: PhotoInput, photo: RgbImage) => Promise<void>, skipped: (input: PhotoInput, reason: string) => void): Promise<void> {
  for (const input of inputs) {
    let photo: RgbImage;
    try {
      photo = readPhoto(input);
    } catch (error) {
      if (!(error instanceof PhotoError)) throw error;
      if (!options.skipBad) throw new UserError(inputs.length > 1 ? `${error.message} (--skip-bad goes on with the other photographs)` : error.message);
      options.context.stderr.write(`drgrade ${options.command}: ${error.message}; skipped\n`);
      skipped(input, error.reason);
      continue;
    }
    await use(input, photo);
  }
}
