import { join } from 'node:path';
import { cellAt } from '../csv.ts';
import { DatasetBuilder } from '../dataset-builder.ts';
import { findEntry, isDirectory } from '../image-files.ts';
import type { DatasetReader } from './reader.ts';

/** `regular_fundus_images` inside root, or root itself. */
function regularFolder(root: string): string | null {
  for (const dir of [join(root, 'regular_fundus_images'), root]) {
    if (findEntry(dir, /^regular-fundus-(training|validation)$/i, 'folder')) return dir;
  }
  return null;
}

const SPLITS = ['training', 'validation'] as const;

/**
 * DeepDRiD regular fundus images: `regular_fundus_images/regular-fundus-{training,validation}/`
 * with `Images/<patient_id>/<image_id>.jpg` and `regular-fundus-<split>.csv`. The CSV's
 * image_path is Windows-style and lacks the `Images` folder (`\regular-fundus-training\1\1_l1.jpg`),
 * so the file is looked up as Images/<patient_id>/<image_id>. The grade is whichever of
 * left_eye_DR_Level / right_eye_DR_Level is filled — not the l/r letter of the file name, which
 * is wrong for a few images (56_r3 carries a left-eye grade). Groups are patient_id.
 */
export const deepdridReader: DatasetReader = {
  format: 'deepdrid',
  layout: '"regular_fundus_images/regular-fundus-training/regular-fundus-training.csv" with "Images/<patient_id>/"',
  detect: (root) => regularFolder(root) !== null,
  read(root) {
    const builder = new DatasetBuilder(root, 'deepdrid');
    const base = regularFolder(root);
    if (!base) {
      builder.report('error', 'missing-labels', root, 'no regular-fundus-training or regular-fundus-validation folder');
      return builder.result();
    }
    for (const split of SPLITS) {
      const dir = findEntry(base, new RegExp(`^regular-fundus-${split}$`, 'i'), 'folder');
      if (!dir) continue;
      const csv = findEntry(dir, new RegExp(`^regular-fundus-${split}\\.csv$`, 'i'), 'file');
      if (!csv) {
        builder.report('error', 'missing-labels', dir, `no regular-fundus-${split}.csv in this folder`);
        continue;
      }
      const imageDir = join(dir, 'Images');
      if (!isDirectory(imageDir)) builder.report('error', 'missing-file', dir, 'no Images folder');
      const table = builder.readCsv(csv);
      const columns = table && builder.columns(csv, table, {
        patient: ['patient_id'],
        image: ['image_id'],
        left: ['left_eye_DR_Level'],
        right: ['right_eye_DR_Level'],
      });
      if (!table || !columns) continue;
      const pathColumn = table.header.findIndex((h) => h.toLowerCase() === 'image_path');
      for (const row of table.rows) {
        const patient = cellAt(row, columns.patient);
        const imageId = cellAt(row, columns.image);
        const left = cellAt(row, columns.left);
        const right = cellAt(row, columns.right);
        let grade = left || right;
        if (left && right && left !== right) {
          builder.report('error', 'conflicting-grades', csv, `${imageId}: both eye columns are filled and disagree (left ${left}, right ${right})`, row.line);
          continue;
        }
        if (!left && !right) grade = '';
        // The last two parts of image_path are <patient>/<file>; they locate the file under Images/.
        const written = cellAt(row, pathColumn).replace(/\\/g, '/').split('/').filter(Boolean);
        const name = written.length >= 2 ? written.slice(-2).join('/') : `${patient}/${imageId}`;
        builder.add({ id: imageId, dir: imageDir, name, grade, group: patient || imageId, source: csv, line: row.line });
      }
    }
    return builder.result();
  },
};
