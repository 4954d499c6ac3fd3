import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cellAt, parseCsv } from '../csv.ts';
import { DatasetBuilder } from '../dataset-builder.ts';
import { findEntry, imageStem, isImageName, subfolders } from '../image-files.ts';
import { readHeaderLine } from './header.ts';
import type { DatasetReader } from './reader.ts';

/** Folders (root and up to three levels below) that hold images, keyed by lower-case stem. */
function indexImageFolders(builder: DatasetBuilder, root: string): Map<string, string> {
  const byStem = new Map<string, string>();
  const visit = (dir: string, depth: number): void => {
    for (const path of builder.locator.imagesIn(dir)) {
      const stem = imageStem(path.slice(dir.length + 1)).toLowerCase();
      if (!byStem.has(stem)) byStem.set(stem, dir);
    }
    if (depth < 3) for (const sub of subfolders(dir)) visit(join(dir, sub), depth + 1);
  };
  visit(root, 0);
  return byStem;
}

/**
 * Exam pairs from the `messidor-2.csv` of the ADCIS distribution (one exam per row: the two
 * image names, separated by ';' or ','), mapped image stem → exam (the first image's stem).
 */
function readPairs(path: string): Map<string, string> | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/)[0] ?? '';
  const { table } = parseCsv(text, firstLine.includes(';') ? ';' : ',');
  const exams = new Map<string, string>();
  for (const row of [{ line: 1, cells: table.header }, ...table.rows]) {
    const names = row.cells.map((c) => c.trim()).filter((c) => c !== '');
    if (names.length !== 2 || !names.every(isImageName)) continue;
    const exam = imageStem(names[0] as string);
    for (const name of names) exams.set(imageStem(name).toLowerCase(), exam);
  }
  return exams.size > 0 ? exams : null;
}

/**
 * Messidor-2 with the adjudicated grades (Krause et al., distributed as `messidor_data.csv`:
 * `image_id,adjudicated_dr_grade,adjudicated_dme,adjudicated_gradable`). Images may sit in the
 * root or a sub-folder (IMAGES/, preprocess/...). Ungradable images (no adjudicated grade) are
 * skipped with a warning. Both eyes of an exam share a group when the exam list
 * `messidor-2.csv` is present; otherwise each image is its own group, and a warning says so.
 */
export const messidor2Reader: DatasetReader = {
  format: 'messidor2',
  layout: '"messidor_data.csv" (image_id,adjudicated_dr_grade,...) and the images',
  detect: (root) => {
    const csv = findEntry(root, /^messidor_data\.csv$/i, 'file');
    const header = csv && readHeaderLine(csv);
    return !!header && header.includes('image_id') && header.includes('adjudicated_dr_grade');
  },
  read(root) {
    const builder = new DatasetBuilder(root, 'messidor2');
    const csv = findEntry(root, /^messidor_data\.csv$/i, 'file') ?? join(root, 'messidor_data.csv');
    const table = builder.readCsv(csv);
    const columns = table && builder.columns(csv, table, { image: ['image_id', 'image'], grade: ['adjudicated_dr_grade'] });
    if (!table || !columns) return builder.result();
    const gradable = table.header.findIndex((h) => h.toLowerCase() === 'adjudicated_gradable');
    const pairFile = findEntry(root, /^messidor-2\.csv$/i, 'file');
    const exams = pairFile ? readPairs(pairFile) : null;
    if (pairFile && exams) builder.labelFiles.push(builder.rel(pairFile));
    else builder.report('warning', 'no-patient-ids', csv, 'no exam list (messidor-2.csv) found: each image is its own group, so the two eyes of a patient may land in different folds');
    const folders = indexImageFolders(builder, root);
    for (const row of table.rows) {
      const name = cellAt(row, columns.image);
      const grade = cellAt(row, columns.grade);
      if (gradable >= 0 && cellAt(row, gradable) === '0' && grade === '') {
        builder.report('warning', 'ungradable', csv, `${name}: adjudicated as ungradable, skipped`, row.line);
        continue;
      }
      const stem = imageStem(name).toLowerCase();
      builder.add({
        id: imageStem(name),
        dir: folders.get(stem) ?? root,
        name,
        grade,
        group: exams?.get(stem) ?? imageStem(name),
        source: csv,
        line: row.line,
      });
    }
    return builder.result();
  },
};
