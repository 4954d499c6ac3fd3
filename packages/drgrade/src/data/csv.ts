/** One CSV record and the (1-based) line it starts on, for error messages. */
export interface CsvRow {
  line: number;
  cells: string[];
}

export interface CsvTable {
  /** Header names with surrounding whitespace removed (IDRiD has `Risk of macular edema `). */
  header: string[];
  rows: CsvRow[];
}

export interface CsvParseResult {
  table: CsvTable;
  /** Structural errors (an unterminated quote), with the line they start on. */
  errors: { line: number; message: string }[];
}

/**
 * RFC 4180 CSV: quoted fields with "" escapes and embedded newlines, CRLF/LF/CR line ends, a
 * UTF-8 byte-order mark, and rows that are entirely empty (trailing `,,,` lines exported by
 * spreadsheets) are skipped. Cells keep their text; callers trim what they compare.
 */
export function parseCsv(text: string, delimiter = ','): CsvParseResult {
  const records: CsvRow[] = [];
  const errors: { line: number; message: string }[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const cells: string[] = [];
    let cell = '';
    let endOfRecord = false;
    while (!endOfRecord) {
      if (i < n && text[i] === '"' && cell.trim() === '') {
        cell = '';
        i++;
        let closed = false;
        while (i < n) {
          const ch = text[i] as string;
          if (ch === '"') {
            if (text[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) line++;
          cell += ch;
          i++;
        }
        if (!closed) {
          errors.push({ line: startLine, message: 'a quoted field is never closed (missing ")' });
          cells.push(cell);
          records.push({ line: startLine, cells });
          return { table: toTable(records), errors };
        }
        // Text between the closing quote and the delimiter is kept, as spreadsheets do.
      }
      while (i < n) {
        const ch = text[i] as string;
        if (ch === delimiter) {
          i++;
          cells.push(cell);
          cell = '';
          break;
        }
        if (ch === '\n' || ch === '\r') {
          i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
          line++;
          endOfRecord = true;
          break;
        }
        if (ch === '"' && cell.trim() === '') break;
        cell += ch;
        i++;
      }
      if (i >= n) endOfRecord = true;
      if (endOfRecord) cells.push(cell);
    }
    if (cells.some((c) => c.trim() !== '')) records.push({ line: startLine, cells });
  }
  return { table: toTable(records), errors };
}

function toTable(records: CsvRow[]): CsvTable {
  const [first, ...rows] = records;
  return { header: first ? first.cells.map((h) => h.trim()) : [], rows };
}

/** Index of the first column whose trimmed, case-folded name is one of `names`; -1 if none. */
export function findColumn(header: readonly string[], names: readonly string[]): number {
  const wanted = names.map((n) => n.trim().toLowerCase());
  return header.findIndex((h) => wanted.includes(h.trim().toLowerCase()));
}

/** Cell value trimmed; '' for a short row. */
export function cellAt(row: CsvRow, column: number): string {
  return column < 0 ? '' : (row.cells[column] ?? '').trim();
}

/** One field of a CSV line, quoted (with "" escapes) only where it holds a quote, comma or line end. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
