import type { Dataset, DatasetFormat } from '../types.ts';

/** A data-set format: how to recognise its layout and how to read it. */
export interface DatasetReader {
  format: DatasetFormat;
  /** One line on the expected layout, shown when detection fails. */
  layout: string;
  /** Cheap check on file names only: does `root` look like this format? */
  detect(root: string): boolean;
  read(root: string): Dataset;
}
