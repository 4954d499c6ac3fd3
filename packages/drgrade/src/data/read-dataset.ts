import { resolve } from 'node:path';
import { UserError } from '../util/errors.ts';
import { isDirectory, isFile } from './image-files.ts';
import { aptosReader } from './readers/aptos.ts';
import { deepdridReader } from './readers/deepdrid.ts';
import { eyepacsReader } from './readers/eyepacs.ts';
import { foldersReader } from './readers/folders.ts';
import { genericCsvReader, readGenericCsv } from './readers/generic-csv.ts';
import { idridReader } from './readers/idrid.ts';
import { messidor2Reader } from './readers/messidor2.ts';
import type { DatasetReader } from './readers/reader.ts';
import type { Dataset, DatasetFormat } from './types.ts';

/** Detection order: specific layouts first, the generic CSV and folder layouts last. */
export const READERS: readonly DatasetReader[] = [idridReader, deepdridReader, aptosReader, eyepacsReader, messidor2Reader, genericCsvReader, foldersReader];

/** The format whose layout `root` matches, or null. */
export function detectFormat(root: string): DatasetFormat | null {
  return READERS.find((reader) => reader.detect(root))?.format ?? null;
}

/**
 * Reads a data set: `root` is its folder (or, for the generic format, the CSV file itself).
 * Problems in the data are returned in `problems`; only an unusable root (missing, format not
 * recognised) throws, as a UserError whose message lists what each format expects.
 */
export function readDataset(root: string, format: DatasetFormat | 'auto' = 'auto'): Dataset {
  const path = resolve(root);
  if (isFile(path) && path.toLowerCase().endsWith('.csv') && (format === 'auto' || format === 'csv')) {
    return readGenericCsv(path);
  }
  if (!isDirectory(path)) throw new UserError(`data set folder not found: ${root}`);
  const reader = format === 'auto' ? READERS.find((r) => r.detect(path)) : READERS.find((r) => r.format === format);
  if (!reader) {
    const expected = READERS.map((r) => `  ${r.format}: ${r.layout}`).join('\n');
    throw new UserError(`cannot tell the format of ${root}; expected one of:\n${expected}\n(or give --format)`);
  }
  return reader.read(path);
}
