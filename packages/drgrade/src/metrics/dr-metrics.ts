// The metrics a DR grading paper reports, over one set of graded images, in the form report.json
// and `drgrade eval --json` write: undefined values (NaN) become null.
import { confusionMatrix } from './confusion.ts';
import { confusionRowPercent } from './confusion-percent.ts';
import { perClassPrecisionRecall } from './precision-recall.ts';
import type { Interval } from './intervals.ts';
import type { OperatingTarget } from './operating-points.ts';
import { referableMetrics } from './referable.ts';

const orNull = (x: number): number | null => (Number.isNaN(x) ? null : x);
const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export interface DrMetrics {
  images: number;
  /** Referable DR (grade ≥ 2): AUC of P(grade ≥ 2), sensitivity and specificity of "predicted grade ≥ 2". */
  referable: {
    auc: number | null;
    sensitivity: number | null;
    specificity: number | null;
    positives: number;
    negatives: number;
    /** 95 % confidence intervals [lower, upper]: DeLong's for the AUC, Wilson's score intervals for the two rates (metrics/intervals.ts); null where undefined. */
    aucCI: Interval | null;
    sensitivityCI: Interval | null;
    specificityCI: Interval | null;
    /** Points of the ROC curve (scikit-learn's roc_curve), null when the AUC is undefined. */
    roc: { fpr: number[]; tpr: number[] } | null;
    /**
     * Sensitivity and specificity where P(grade ≥ 2) is cut to meet each screening target
     * (operating-points.ts); threshold null where only "nothing referable" meets it (sensitivity 0)
     * or, with every rate null, where the curve is undefined.
     */
    operatingPoints: (OperatingTarget & { threshold: number | null; sensitivity: number | null; specificity: number | null })[];
  };
  /** Per grade; null where undefined (a grade never predicted, or without images). */
  perClass: { precision: number | null; recall: number | null }[];
  /** Rows true grade, columns predicted grade. */
  confusion: number[][];
  /** Each row as percentages of its total; a row of null for a grade without images. */
  confusionRowPercent: (number | null)[][];
}

export function drMetrics(grades: number[], predicted: number[], probabilities: number[][], numClasses: number): DrMetrics {
  const r = referableMetrics(grades, predicted, probabilities);
  const confusion = confusionMatrix(grades, predicted, { numClasses });
  const auc = orNull(r.auc);
  return {
    images: grades.length,
    referable: {
      auc, sensitivity: orNull(r.sensitivity), specificity: orNull(r.specificity), positives: r.positives, negatives: r.negatives,
      aucCI: r.intervals.auc, sensitivityCI: r.intervals.sensitivity, specificityCI: r.intervals.specificity,
      roc: auc === null ? null : { fpr: r.roc.fpr, tpr: r.roc.tpr },
      operatingPoints: r.operatingPoints.map((p) => ({
        fix: p.fix, at: p.at, threshold: finiteOrNull(p.threshold), sensitivity: orNull(p.sensitivity), specificity: orNull(p.specificity),
      })),
    },
    perClass: perClassPrecisionRecall(grades, predicted, { numClasses }).map((c) => ({ precision: orNull(c.precision), recall: orNull(c.recall) })),
    confusion,
    confusionRowPercent: confusionRowPercent(confusion).map((row) => row.map(orNull)),
  };
}
