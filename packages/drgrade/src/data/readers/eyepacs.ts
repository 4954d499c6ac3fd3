import { join } from 'node:path';
import { cellAt } from '../csv.ts';
import { DatasetBuilder, patientFromName } from '../dataset-builder.ts';
import { findEntry } from '../image-files.ts';
import { readHeaderLine } from './header.ts';
import type { DatasetReader } from './reader.ts';

/**
 * EyePACS (Kaggle Diabetic Retinopathy Detection, 2015): `trainLabels.csv` with `image,level`
 * and `train/<image>.jpeg`. Names are `<patient>_left` / `<patient>_right`, so the group is the
 * patient number.
 */
export const eyepacsReader: DatasetReader = {
  format: 'eyepacs',
  layout: '"trainLabels.csv" (image,level) and "train/"',
  detect: (root) => {
    const csv = findEntry(root, /^trainlabels\.csv$/i, 'file');
    const header = csv && readHeaderLine(csv);
    return !!header && header.includes('image') && header.includes('level');
  },
  read(root) {
    const builder = new DatasetBuilder(root, 'eyepacs');
    const csv = findEntry(root, /^trainlabels\.csv$/i, 'file') ?? join(root, 'trainLabels.csv');
    const outer = findEntry(root, /^train$/i, 'folder');
    const imageDir = outer && findEntry(outer, /^train$/i, 'folder') ? join(outer, 'train') : outer;
    if (!imageDir) builder.report('error', 'missing-file', root, 'no train folder');
    const table = builder.readCsv(csv);
    const columns = table && builder.columns(csv, table, { image: ['image'], grade: ['level'] });
    if (!table || !columns || !imageDir) return builder.result();
    for (const row of table.rows) {
      const id = cellAt(row, columns.image);
      builder.add({ id, dir: imageDir, name: id, grade: cellAt(row, columns.grade), group: patientFromName(id) ?? id, source: csv, line: row.line });
    }
    builder.reportUnlabelled(imageDir);
    return builder.result();
  },
};
