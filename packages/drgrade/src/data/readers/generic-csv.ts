import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cellAt } from '../csv.ts';
import { DatasetBuilder, patientFromName } from '../dataset-builder.ts';
import { imageStem, isFile } from '../image-files.ts';
import type { Dataset } from '../types.ts';
import { readHeaderLine } from './header.ts';
import type { DatasetReader } from './reader.ts';

function isLabelCsv(path: string): boolean {
  const header = readHeaderLine(path);
  return !!header && header.includes('path') && header.includes('grade');
}

/** The label CSV of a generic data set: `labels.csv` if it qualifies, else the only CSV with path+grade. */
function findLabelCsv(root: string): string[] {
  const preferred = join(root, 'labels.csv');
  if (isFile(preferred) && isLabelCsv(preferred)) return [preferred];
  let names: string[] = [];
  try {
    names = readdirSync(root).sort();
  } catch {
    return [];
  }
  return names.filter((n) => n.toLowerCase().endsWith('.csv')).map((n) => join(root, n)).filter((p) => isFile(p) && isLabelCsv(p));
}

/**
 * A generic CSV with columns `path,grade[,group]`: paths relative to the CSV's folder (which
 * must stay inside it), grade 0–4, optional group (patient). Without a group column, groups
 * come from `_L/_R`/`_left/_right` names, else each image is its own group. Ids are the paths
 * without extension.
 */
export function readGenericCsv(csv: string): Dataset {
  const root = dirname(csv);
  const builder = new DatasetBuilder(root, 'csv');
  const table = builder.readCsv(csv);
  const columns = table && builder.columns(csv, table, { path: ['path'], grade: ['grade'] });
  if (!table || !columns) return builder.result();
  const groupColumn = table.header.findIndex((h) => h.toLowerCase() === 'group');
  for (const row of table.rows) {
    const name = cellAt(row, columns.path).replace(/\\/g, '/');
    const id = imageStem(name);
    const stem = id.slice(id.lastIndexOf('/') + 1);
    builder.add({
      id,
      dir: root,
      name,
      grade: cellAt(row, columns.grade),
      group: cellAt(row, groupColumn) || patientFromName(stem) || id,
      source: csv,
      line: row.line,
    });
  }
  return builder.result();
}

export const genericCsvReader: DatasetReader = {
  format: 'csv',
  layout: 'a CSV (labels.csv) with columns path,grade[,group], paths relative to it',
  detect: (root) => findLabelCsv(root).length > 0,
  read(root) {
    const found = findLabelCsv(root);
    if (found.length === 1) return readGenericCsv(found[0] as string);
    const builder = new DatasetBuilder(root, 'csv');
    builder.report('error', 'missing-labels', root, found.length === 0
      ? 'no CSV with columns path and grade in this folder'
      : `several CSVs with columns path and grade (${found.map((p) => builder.rel(p)).join(', ')}): name one, or call one labels.csv`);
    return builder.result();
  },
};
