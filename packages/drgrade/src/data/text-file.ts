import { readFileSync } from 'node:fs';

/**
 * Reads a label or folds file as UTF-8 text. Spreadsheets also save "Unicode text" (UTF-16) and
 * legacy code pages; read as UTF-8 those become NUL bytes or replacement characters that then
 * appear in messages about column names. Returns the text, or `error` naming the encoding found
 * and how to save the file instead. A UTF-8 byte-order mark is kept (parseCsv skips it).
 */
export function readUtf8File(path: string): { text: string } | { error: string } {
  const bytes = readFileSync(path);
  const encoding = foreignEncoding(bytes);
  if (encoding) return { error: `the file is encoded as ${encoding}, not UTF-8; save it as UTF-8 (in Excel: "CSV UTF-8")` };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    return { error: `the file is not valid UTF-8 (byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')} at offset ${at}; perhaps Latin-1 or Windows-1252); save it as UTF-8 (in Excel: "CSV UTF-8")` };
  }
}

/** UTF-32/UTF-16 by byte-order mark, or UTF-16 without one; null for anything else. */
function foreignEncoding(b: Uint8Array): string | null {
  if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return 'UTF-32 (little-endian)';
  if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return 'UTF-32 (big-endian)';
  const utf16 = utf16Encoding(b);
  return utf16 === 'utf-16le' ? 'UTF-16 (little-endian)' : utf16 === 'utf-16be' ? 'UTF-16 (big-endian)' : null;
}

/**
 * 'utf-16le' or 'utf-16be' for UTF-16 text: by byte-order mark, or without one by ASCII text's
 * NUL in every other byte (of the first 64). Also lets format detection read such a header.
 */
export function utf16Encoding(b: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  if (b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  const n = Math.min(b.length, 64) & ~1;
  if (n < 2) return null;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) evenNul++;
    if (b[i + 1] === 0) oddNul++;
  }
  if (oddNul === n / 2 && evenNul === 0) return 'utf-16le';
  if (evenNul === n / 2 && oddNul === 0) return 'utf-16be';
  return null;
}

/** Byte offset of the first byte that is not UTF-8: where the lenient decoder puts its first U+FFFD. */
function firstInvalidUtf8(b: Uint8Array): number {
  const text = new TextDecoder('utf-8').decode(b);
  return new TextEncoder().encode(text.slice(0, Math.max(0, text.indexOf('\uFFFD')))).length;
}
