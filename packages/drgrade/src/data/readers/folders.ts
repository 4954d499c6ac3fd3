import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetBuilder, patientFromName } from '../dataset-builder.ts';
import { imageStem, isImageName, subfolders } from '../image-files.ts';
import type { Grade } from '../types.ts';
import type { DatasetReader } from './reader.ts';

const GRADE_FOLDER = /^[0-4]$/;

/** Image files under `dir`, recursively, as paths relative to `dir` (sorted). */
function imagesBelow(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(join(dir, prefix), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...imagesBelow(dir, rel));
    else if (isImageName(e.name)) out.push(rel);
  }
  return out;
}

/**
 * One folder per grade: `0/`, `1/`, ... `4/` (nested folders allowed). The id is the file name
 * without extension, so the same name under two grades is reported as a duplicate (a
 * conflicting label), not silently kept twice.
 */
export const foldersReader: DatasetReader = {
  format: 'folders',
  layout: 'one folder per grade: 0/, 1/, 2/, 3/, 4/',
  detect: (root) => subfolders(root).some((name) => GRADE_FOLDER.test(name)),
  read(root) {
    const builder = new DatasetBuilder(root, 'folders');
    for (const name of subfolders(root)) {
      if (!GRADE_FOLDER.test(name)) {
        builder.report('warning', 'unlabelled-image', join(root, name), 'folder is not a grade (0-4) and is ignored');
        continue;
      }
      const dir = join(root, name);
      for (const rel of imagesBelow(dir)) {
        const stem = imageStem(rel.slice(rel.lastIndexOf('/') + 1));
        builder.add({ id: stem, dir, name: rel, grade: Number(name) as Grade, group: patientFromName(stem) ?? stem, source: join(dir, rel) });
      }
    }
    return builder.result();
  },
};
