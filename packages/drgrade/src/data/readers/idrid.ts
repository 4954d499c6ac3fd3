import { join } from 'node:path';
import { cellAt } from '../csv.ts';
import { DatasetBuilder, patientFromName } from '../dataset-builder.ts';
import { findEntry } from '../image-files.ts';
import type { DatasetReader } from './reader.ts';

interface IdridLayout {
  images: string;
  labels: string;
}

/** The "B. Disease Grading" folder: `root` itself or a child of it (the IDRiD download root). */
function gradingFolder(root: string): string | null {
  for (const dir of [root, findEntry(root, /disease grading/i, 'folder')]) {
    if (dir && findEntry(dir, /original images/i, 'folder') && findEntry(dir, /groundtruths?/i, 'folder')) return dir;
  }
  return null;
}

function layout(root: string): IdridLayout | null {
  const dir = gradingFolder(root);
  if (!dir) return null;
  return {
    images: findEntry(dir, /original images/i, 'folder') as string,
    labels: findEntry(dir, /groundtruths?/i, 'folder') as string,
  };
}

const SPLITS = [
  { prefix: 'train', images: /training set/i, labels: /training.*labels.*\.csv$/i },
  { prefix: 'test', images: /testing set/i, labels: /testing.*labels.*\.csv$/i },
] as const;

/**
 * IDRiD "B. Disease Grading": images in `1. Original Images/{a. Training Set, b. Testing
 * Set}/NAME.jpg`, labels in `2. Groundtruths/{a. ..._Training Labels.csv, b. ..._Testing
 * Labels.csv}` with `Image name` and `Retinopathy grade`. Both splits reuse IDRiD_001…, so when
 * both are present ids (and groups) are prefixed `train/` and `test/`. Groups come from a
 * `patient`/`group` column if the CSV has one, else from PatientNNN_L/R-style names, else each
 * image is its own group (the original IDRiD does not identify patients).
 */
export const idridReader: DatasetReader = {
  format: 'idrid',
  layout: '"B. Disease Grading/1. Original Images/a. Training Set" and "2. Groundtruths/a. IDRiD_Disease Grading_Training Labels.csv"',
  detect: (root) => gradingFolder(root) !== null,
  read(root) {
    const builder = new DatasetBuilder(root, 'idrid');
    const found = layout(root);
    if (!found) {
      builder.report('error', 'missing-labels', root, 'no "B. Disease Grading" folder with "1. Original Images" and "2. Groundtruths"');
      return builder.result();
    }
    const present = SPLITS.map((split) => ({
      ...split,
      imageDir: findEntry(found.images, split.images, 'folder'),
      labelFile: findEntry(found.labels, split.labels, 'file'),
    })).filter((s) => s.imageDir || s.labelFile);
    if (present.length === 0) {
      builder.report('error', 'missing-labels', found.images, 'neither a training nor a testing set was found');
    }
    const pooled = present.length > 1;
    for (const split of present) {
      if (!split.imageDir) {
        builder.report('error', 'missing-file', split.labelFile as string, `labels for the ${split.prefix} split but no image folder matching ${split.images} in ${builder.rel(found.images)}`);
        continue;
      }
      if (!split.labelFile) {
        builder.report('error', 'missing-labels', split.imageDir, `images for the ${split.prefix} split but no label CSV matching ${split.labels} in ${builder.rel(found.labels)}`);
        continue;
      }
      const table = builder.readCsv(split.labelFile);
      const columns = table && builder.columns(split.labelFile, table, {
        name: ['Image name', 'image', 'image_name'],
        grade: ['Retinopathy grade', 'retinopathy_grade', 'grade'],
      });
      if (!table || !columns) continue;
      const groupColumn = table.header.findIndex((h) => /^(patient|patient[ _]?id|group)$/i.test(h));
      const prefix = pooled ? `${split.prefix}/` : '';
      for (const row of table.rows) {
        const name = cellAt(row, columns.name);
        const explicitGroup = cellAt(row, groupColumn);
        builder.add({
          id: prefix + name,
          dir: split.imageDir,
          name,
          grade: cellAt(row, columns.grade),
          group: prefix + (explicitGroup || patientFromName(name) || name),
          source: split.labelFile,
          line: row.line,
        });
      }
      builder.reportUnlabelled(split.imageDir);
    }
    return builder.result();
  },
};

export const IDRID_PATHS = {
  grading: 'B. Disease Grading',
  trainImages: join('B. Disease Grading', '1. Original Images', 'a. Training Set'),
  trainLabels: join('B. Disease Grading', '2. Groundtruths', 'a. IDRiD_Disease Grading_Training Labels.csv'),
} as const;
