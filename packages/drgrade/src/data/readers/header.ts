import { closeSync, openSync, readSync } from 'node:fs';
import { utf16Encoding } from '../text-file.ts';

/**
 * The lower-cased, trimmed column names of a CSV's first line, reading only its first 4 KB
 * (format detection must stay cheap on data sets with 35 000-row label files); null if the
 * file cannot be read.
 */
export function readHeaderLine(path: string): string[] | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const buffer = new Uint8Array(4096);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, n);
    // A UTF-16 label file is still recognised, so that reading it names its encoding.
    const text = new TextDecoder(utf16Encoding(head) ?? 'utf-8').decode(head).replace(/^\uFEFF/, '');
    const first = text.split(/\r\n|\n|\r/)[0] ?? '';
    const delimiter = first.includes(',') ? ',' : first.includes(';') ? ';' : ',';
    return first.split(delimiter).map((h) => h.replace(/^"|"$/g, '').trim().toLowerCase());
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
