// What stops a training run, as data: the CLI words each problem in terms of its own options
// (cli/train-problems.ts); a program calling runTraining reads `problem`, or the message, which
// speaks of the TrainingRun fields.
import { UserError } from '../util/errors.ts';

export type RunProblem =
  | { kind: 'resume-and-overwrite' }
  | { kind: 'fold-out-of-range'; fold: number; folds: number }
  | { kind: 'out-is-file'; out: string }
  /** `artefacts`: the earlier run's files, relative to `out`. */
  | { kind: 'run-exists'; out: string; artefacts: readonly string[] }
  /** Resuming a run folder whose config.json (`file`) is another configuration. */
  | { kind: 'run-config-differs'; file: string }
  /** Resuming a fold whose checkpoint (`file`) was trained with another configuration. */
  | { kind: 'checkpoint-config-differs'; file: string }
  /** A fold's checkpoint that cannot be read back; `reason` names the file. */
  | { kind: 'checkpoint-unreadable'; reason: string }
  | { kind: 'pretrained-unmatched'; file: string; tensors: number }
  /** The data set has errors (already listed in the log) and bad images are not to be skipped. */
  | { kind: 'dataset-errors'; root: string }
  | { kind: 'undecodable-images' }
  /** A folds file with errors (already listed in the log). */
  | { kind: 'folds-file-errors'; file: string }
  | { kind: 'folds-file-count'; file: string; found: number; expected: number };

/** The earlier run's files as a message lists them: the first four, then how many in all. */
export function listArtefacts(artefacts: readonly string[]): string {
  return artefacts.slice(0, 4).join(', ') + (artefacts.length > 4 ? `, ... (${artefacts.length} files)` : '');
}

function describe(problem: RunProblem): string {
  switch (problem.kind) {
    case 'resume-and-overwrite': return 'resume (continue the run) and overwrite (start over) were both asked for; choose one';
    case 'fold-out-of-range': return `fold ${problem.fold} is not in 0..${problem.folds - 1} (train.folds is ${problem.folds})`;
    case 'out-is-file': return `${problem.out} is a file; give a folder for the run`;
    case 'run-exists': return `${problem.out} already holds a run (${listArtefacts(problem.artefacts)}); resume it, or overwrite it (the old run is moved aside to ${problem.out}.old-<time>)`;
    case 'run-config-differs': return `${problem.file} is another configuration; resume with that configuration, or overwrite the run (the old run is moved aside)`;
    case 'checkpoint-config-differs': return `${problem.file} was trained with another configuration; resume with the same configuration`;
    case 'checkpoint-unreadable': return `${problem.reason}; the checkpoint cannot be resumed: move it away to restart this fold, or overwrite the run`;
    case 'pretrained-unmatched': return `${problem.file}: none of its ${problem.tensors} tensors match this model's backbone (expected torchvision names like features.conv0.weight)`;
    case 'dataset-errors': return `${problem.root}: the data set has errors (listed above); fix them, or skip bad images to leave them out`;
    case 'undecodable-images': return 'some images could not be decoded (listed above); skip bad images to train without them';
    case 'folds-file-errors': return `${problem.file}: the folds file has errors (listed above); fix them, or write a new one`;
    case 'folds-file-count': return `${problem.file} assigns ${problem.found} folds but train.folds is ${problem.expected}`;
  }
}

export class RunProblemError extends UserError {
  override name = 'RunProblemError';
  constructor(readonly problem: RunProblem) {
    super(describe(problem));
  }
}
