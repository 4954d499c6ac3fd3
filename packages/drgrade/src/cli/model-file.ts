// Reading a model file for the commands that use one, with user-facing errors.
import { existsSync, readFileSync } from 'node:fs';
import { decodeModelFile, type LoadedModel } from '../train/checkpoint.ts';
import { UserError, errorMessage } from '../util/errors.ts';

export function readModelFile(path: string): LoadedModel {
  if (!existsSync(path)) throw new UserError(`--checkpoint ${path}: no such file`);
  try {
    return decodeModelFile(readFileSync(path), path);
  } catch (e) {
    throw new UserError(errorMessage(e));
  }
}
