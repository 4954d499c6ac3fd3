// The key figures a shipped model file carries about itself (metadata `card`, JSON, written by
// scripts/ship-model.mjs; models/README.md is the card in full): what the grading page shows beside
// the model's name, so that whoever reads a grade first sees how well the model graded when it
// was cross-validated, and what it was not validated on. Only the fields read here are relied on;
// a file without a card, or with one of another shape, has no summary.

export interface CardSummary {
  /** Cross-validated quadratic weighted kappa (mean ± std over folds) as the file grades: the ensemble's where it was measured. */
  kappa: { mean: number; std: number; folds: number };
  /** Photographs it was trained on, where the card says. */
  images: number | null;
  /** The card's own statement of its limits. */
  limits: string | null;
}

type Json = Record<string, unknown>;

const object = (v: unknown): Json | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Json : null);
const number = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The summary of metadata `card`, or null when there is none or it lacks a cross-validated kappa. */
export function cardSummary(metadata: Record<string, string>): CardSummary | null {
  let card: Json | null;
  try { card = object(JSON.parse(metadata.card ?? 'null')); } catch { return null; }
  if (!card) return null;
  const cv = object(card.crossValidation);
  const ensemble = object(object(card.evaluation)?.ensembleMeasured);
  const measured = object(ensemble?.kappaEnsemble);
  const mean = number(measured?.mean) ?? number(cv?.kappaMean);
  const std = number(measured?.std) ?? number(cv?.kappaStd);
  const folds = number(ensemble?.folds) ?? number(cv?.folds);
  if (mean === null || std === null || folds === null) return null;
  return {
    kappa: { mean, std, folds },
    images: number(object(card.trained)?.images),
    limits: typeof card.limits === 'string' ? card.limits : null,
  };
}

/** For a reader: "Cross-validated on 348 photographs (5 folds): quadratic weighted kappa 0.57 ± 0.09 as this file grades.", then the card's limits. */
export function cardSentence(s: CardSummary): string {
  const on = s.images === null ? '' : ` on ${s.images} photographs`;
  return `Cross-validated${on} (${s.kappa.folds} folds): quadratic weighted kappa ${s.kappa.mean.toFixed(2)} ± ${s.kappa.std.toFixed(2)} as this file grades.${s.limits ? ` ${s.limits}` : ''}`;
}
