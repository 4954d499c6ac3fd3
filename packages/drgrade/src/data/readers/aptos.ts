import { join } from 'node:path';
import { cellAt } from '../csv.ts';
import { DatasetBuilder } from '../dataset-builder.ts';
import { findEntry } from '../image-files.ts';
import { readHeaderLine } from './header.ts';
import type { DatasetReader } from './reader.ts';

/**
 * APTOS 2019 (Kaggle): `train.csv` with `id_code,diagnosis` and `train_images/<id_code>.png`
 * (also the nested `train_images/train_images` of some downloads). No patient ids: each image
 * is its own group.
 */
export const aptosReader: DatasetReader = {
  format: 'aptos',
  layout: '"train.csv" (id_code,diagnosis) and "train_images/"',
  detect: (root) => {
    const header = readHeaderLine(join(root, 'train.csv'));
    return header !== null && header.includes('id_code') && header.includes('diagnosis');
  },
  read(root) {
    const builder = new DatasetBuilder(root, 'aptos');
    const csv = join(root, 'train.csv');
    const outer = findEntry(root, /^train_images$/i, 'folder');
    const imageDir = outer && findEntry(outer, /^train_images$/i, 'folder') ? join(outer, 'train_images') : outer;
    if (!imageDir) builder.report('error', 'missing-file', root, 'no train_images folder');
    const table = builder.readCsv(csv);
    const columns = table && builder.columns(csv, table, { id: ['id_code'], grade: ['diagnosis'] });
    if (!table || !columns || !imageDir) return builder.result();
    for (const row of table.rows) {
      const id = cellAt(row, columns.id);
      builder.add({ id, dir: imageDir, name: id, grade: cellAt(row, columns.grade), group: id, source: csv, line: row.line });
    }
    builder.reportUnlabelled(imageDir);
    return builder.result();
  },
};
