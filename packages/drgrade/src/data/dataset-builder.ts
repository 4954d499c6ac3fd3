import { basename } from 'node:path';
import { errorMessage } from '../util/errors.ts';
import { parseCsv, findColumn, type CsvTable } from './csv.ts';
import { ImageLocator, imageStem } from './image-files.ts';
import { readUtf8File } from './text-file.ts';
import type { DataItem, DataProblem, Dataset, DatasetFormat, Grade, ProblemKind } from './types.ts';

/** One labelled entry as a reader found it, before validation. */
export interface RawEntry {
  id: string;
  /** Folder the image name is relative to, and the name as written in the labels. */
  dir: string;
  name: string;
  /** Grade as written (validated here) or an already-known grade. */
  grade: string | Grade;
  /** Patient id when the format has one; otherwise derived from the name or the id. */
  group?: string;
  /** Where the entry comes from, for problem reports (absolute path; line for CSV rows). */
  source: string;
  line?: number;
}

/**
 * Collects a reader's entries and turns them into validated items and a problem list: grades
 * outside 0–4, duplicate names, missing files, names escaping the root. Every problem is
 * recorded; nothing is thrown for bad user data.
 */
export class DatasetBuilder {
  readonly locator: ImageLocator;
  readonly problems: DataProblem[] = [];
  readonly labelFiles: string[] = [];
  private readonly items: DataItem[] = [];
  private readonly firstSeen = new Map<string, string>();
  private readonly byPath = new Map<string, string>();
  /** Files some label names, usable or not (so they are not also called unlabelled). */
  private readonly listed = new Set<string>();
  private readonly rejected = new Set<string>();

  constructor(
    readonly root: string,
    readonly format: DatasetFormat,
  ) {
    this.locator = new ImageLocator(root);
  }

  rel(path: string): string {
    return this.locator.rel(path) || basename(path);
  }

  report(severity: 'error' | 'warning', kind: ProblemKind, file: string, message: string, line?: number): void {
    const problem: DataProblem = { kind, severity, file: this.rel(file), message };
    if (line !== undefined) problem.line = line;
    this.problems.push(problem);
  }

  /** Reads and parses a label CSV, recording it as used; null (with a problem) if unreadable. */
  readCsv(path: string, delimiter = ','): CsvTable | null {
    let read;
    try {
      read = readUtf8File(path);
    } catch (error) {
      this.report('error', 'missing-labels', path, `cannot read the label file: ${errorMessage(error)}`);
      return null;
    }
    this.labelFiles.push(this.rel(path));
    if ('error' in read) {
      this.report('error', 'bad-csv', path, read.error);
      return null;
    }
    const { table, errors } = parseCsv(read.text, delimiter);
    for (const e of errors) this.report('error', 'bad-csv', path, e.message, e.line);
    if (table.header.length === 0) {
      this.report('error', 'bad-csv', path, 'the label file is empty');
      return null;
    }
    if (table.rows.length === 0) {
      this.report('error', 'bad-csv', path, `the label file has a header (${table.header.join(', ')}) but no rows`, 1);
      return null;
    }
    return table;
  }

  /**
   * Column indices for each required column (given as accepted names); null with a
   * 'missing-column' problem naming what the file does have.
   */
  columns<K extends string>(path: string, table: CsvTable, wanted: Record<K, readonly string[]>): Record<K, number> | null {
    const found = {} as Record<K, number>;
    const missing: string[] = [];
    for (const key of Object.keys(wanted) as K[]) {
      const names = wanted[key];
      found[key] = findColumn(table.header, names);
      if (found[key] < 0) missing.push(`"${names[0]}"`);
    }
    if (missing.length > 0) {
      this.report('error', 'missing-column', path, `missing column ${missing.join(', ')}; the header is: ${table.header.join(', ')}`, 1);
      return null;
    }
    return found;
  }

  /** Parses a grade cell: 0–4, also written as 2.0 (pandas exports); null with a problem otherwise. */
  parseGrade(text: string, source: string, line: number | undefined, id: string): Grade | null {
    const t = text.trim();
    if (/^[0-4](\.0*)?$/.test(t)) return Number(t[0]) as Grade;
    this.report('error', 'bad-grade', source, t === '' ? `${id}: the grade is empty` : `${id}: grade "${t}" is not one of 0, 1, 2, 3, 4`, line);
    return null;
  }

  add(entry: RawEntry): void {
    const { id, source, line } = entry;
    const where = line === undefined ? '' : ` (line ${line})`;
    if (entry.name.trim() === '') {
      this.report('error', 'bad-csv', source, 'the image name is empty', line);
      return;
    }
    const first = this.firstSeen.get(id);
    if (first !== undefined) {
      this.report('error', 'duplicate', source, `${id} is listed more than once (first at ${first})`, line);
      this.rejected.add(id);
      return;
    }
    this.firstSeen.set(id, `${this.rel(source)}${line === undefined ? '' : `:${line}`}`);
    const grade = typeof entry.grade === 'number' ? entry.grade : this.parseGrade(entry.grade, source, line, id);
    const located = this.locator.locate(entry.dir, entry.name);
    if (!located.ok) {
      this.report('error', located.kind, source, `${id}: ${located.message}`, line);
      for (const path of located.candidates ?? []) this.listed.add(path);
      return;
    }
    this.listed.add(located.path);
    if (grade === null) return;
    const other = this.byPath.get(located.path);
    if (other !== undefined) {
      this.report('error', 'duplicate', source, `${id}${where} and ${other} name the same file ${this.rel(located.path)}`, line);
      this.rejected.add(id).add(other);
      return;
    }
    this.byPath.set(located.path, id);
    this.items.push({ id, path: located.path, grade, group: entry.group ?? patientFromName(imageStem(basename(entry.name))) ?? id });
  }

  /** Warns about images in `dir` that no label mentions (often a forgotten CSV row). */
  reportUnlabelled(dir: string): void {
    for (const path of this.locator.imagesIn(dir)) {
      if (!this.listed.has(path)) this.report('warning', 'unlabelled-image', path, 'image has no label and is not used');
    }
  }

  result(): Dataset {
    return {
      format: this.format,
      root: this.root,
      items: this.items.filter((item) => !this.rejected.has(item.id)),
      problems: this.problems,
      labelFiles: this.labelFiles,
    };
  }
}

/**
 * Patient id from an eye-specific name: `Patient146_L` → `Patient146`, `10_left` → `10`;
 * null when the name carries no eye suffix.
 */
export function patientFromName(stem: string): string | null {
  const m = /^(.+?)[_-](l|r|left|right)$/i.exec(stem);
  return m ? (m[1] as string) : null;
}
