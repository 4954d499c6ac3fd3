/** International clinical DR severity scale: 0 none, 1 mild, 2 moderate, 3 severe NPDR, 4 PDR. */
export type Grade = 0 | 1 | 2 | 3 | 4;

export const GRADES: readonly Grade[] = [0, 1, 2, 3, 4];

/** The scale's name of each grade, by grade. */
export const GRADE_NAMES: readonly string[] = ['No DR', 'Mild NPDR', 'Moderate NPDR', 'Severe NPDR', 'PDR'];

/** One labelled photograph. */
export interface DataItem {
  /** Unique within the data set; the name used in labels, fold files and reports. */
  id: string;
  /** Absolute path of the image file. */
  path: string;
  grade: Grade;
  /** Patient (or, where the format cannot tell, the image itself): kept within one fold. */
  group: string;
}

export const DATASET_FORMATS = ['idrid', 'deepdrid', 'aptos', 'eyepacs', 'messidor2', 'csv', 'folders'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export type ProblemKind =
  | 'unknown-format'
  | 'missing-labels'
  | 'missing-column'
  | 'bad-csv'
  | 'bad-grade'
  | 'conflicting-grades'
  | 'duplicate'
  | 'missing-file'
  | 'outside-root'
  | 'corrupt-image'
  | 'truncated-image'
  | 'unsupported-image'
  | 'image-too-large'
  | 'unlabelled-image'
  | 'ungradable'
  | 'no-patient-ids'
  | 'bad-folds';

/**
 * Something wrong with the user's data, precise enough to fix: which file (relative to the
 * data-set root), which line of a CSV, what is wrong. Errors exclude the image from the data
 * set; warnings are informational.
 */
export interface DataProblem {
  kind: ProblemKind;
  severity: 'error' | 'warning';
  file: string;
  line?: number;
  message: string;
}

export interface Dataset {
  format: DatasetFormat;
  /** Absolute path of the data-set root. */
  root: string;
  /** The usable images (those without an error). */
  items: DataItem[];
  problems: DataProblem[];
  /** Label files the reader used, relative to root (copied by `drgrade preprocess`). */
  labelFiles: string[];
}

/** `file:line: message` (or `file: message`), the form editors and terminals link to. */
export function formatProblem(problem: DataProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return `${where}: ${problem.severity}: ${problem.message}`;
}

export function hasErrors(problems: readonly DataProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
