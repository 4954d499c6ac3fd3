// Which epoch's model a fold reports. Selecting on the held-out fold itself (the best epoch by
// its kappa) is selection on test data and flatters every figure (docs/reference.md, trap 7), so
// the choice is made on images the fold does not report: a validation split carved from the
// training folds, or no choice at all (the last epoch of a fixed schedule).
import type { DrgradeConfig } from '../config/index.ts';
import { splitFold, stratifiedGroupKFold } from '../data/folds.ts';
import type { DataItem } from '../data/types.ts';
import { UserError } from '../util/errors.ts';

export interface SelectionSplit {
  /** Images the model is trained on. */
  fit: DataItem[];
  /** Images the epoch is selected on (empty with selection 'last'). */
  select: DataItem[];
}

/**
 * Splits a fold's training images for model selection: patients kept whole and grades
 * stratified, with the same algorithm as the cross-validation folds, seeded per fold so that
 * each fold carves its own split reproducibly.
 */
export function selectionSplit(train: readonly DataItem[], cfg: DrgradeConfig, fold: number): SelectionSplit {
  if (cfg.train.selection === 'last') return { fit: [...train], select: [] };
  const parts = Math.max(2, Math.round(1 / cfg.train.validationFraction));
  const patients = new Set(train.map((i) => i.group)).size;
  if (patients < parts) {
    throw new UserError(`train.selection "validation" needs at least ${parts} patients in the training folds to carve a validation split of ${cfg.train.validationFraction}, found ${patients}; set train.selection=last`);
  }
  const assignment = stratifiedGroupKFold(train, parts, cfg.seed * 1009 + fold + 1);
  const { train: fit, validation: select } = splitFold(train, assignment, 0);
  return { fit, select };
}
