// `drgrade predict --csv`: one row per photograph, for spreadsheets and scripts.
import { csvField as field } from '../data/csv.ts';

/** What predict found for one photograph; grade null when it was not graded, with the reason. */
export interface PhotoGrade {
  image: string;
  model: string;
  grade: number | null;
  gradeName: string;
  probabilities: number[] | null;
  /** P(grade ≥ 2), referable DR: what screening refers on (metrics/referable.ts). */
  referable: number | null;
  reason?: string;
}

/**
 * `image,grade,grade_name,p0..p4,p_referable,reason`: probabilities in full, so metrics can be
 * recomputed from the file; a photograph without a grade has empty grade and probability cells
 * and says why in `reason` (ungradable, or unreadable and skipped with --skip-bad).
 */
export function formatPredictCsv(rows: readonly PhotoGrade[], numClasses = 5): string {
  const header = ['image', 'grade', 'grade_name', ...Array.from({ length: numClasses }, (_, g) => `p${g}`), 'p_referable', 'reason'].join(',');
  const lines = rows.map((r) => [
    field(r.image), r.grade ?? '', field(r.gradeName),
    ...(r.probabilities ?? Array.from({ length: numClasses }, () => '')), r.referable ?? '', field(r.reason ?? ''),
  ].join(','));
  return `${[header, ...lines].join('\n')}\n`;
}
