// Reading a model file for the commands that use one, with user-facing errors.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { decodeModelFile, type LoadedModel } from '../train/checkpoint.ts';
import { UserError } from '../util/errors.ts';

/** The model in `path`; a missing file, a folder or a damaged or mismatched model file is a UserError naming the path. */
export function readModelFile(path: string): LoadedModel {
  if (!existsSync(path)) throw new UserError(`--checkpoint ${path}: no such file`);
  if (statSync(path).isDirectory()) throw new UserError(`--checkpoint ${path}: is a folder; give a model file (e.g. fold-0/model-best.safetensors)`);
  return decodeModelFile(readFileSync(path), path);
}
