export { renderReport } from './html.ts';
export { summarize, GRADE_NAMES, type RunSummary, type FoldResult, type EpochRecord, type GradcamRecord } from './summary.ts';
