// What `drgrade train` says of a problem that stops a run: the fix, in terms of its options.
import { listArtefacts, type RunProblem } from '../train/run-problems.ts';
import { UsageError, UserError } from '../util/errors.ts';
import { FOLDS_FILE_REFUSED } from './dataset-options.ts';

/** The error `drgrade train` reports for `problem`: a UsageError (exit 2) where the options contradict each other or are out of range. */
export function trainProblemError(problem: RunProblem): UserError {
  switch (problem.kind) {
    case 'resume-and-overwrite': return new UsageError('give --resume (continue the run) or --overwrite (start over), not both');
    case 'fold-out-of-range': return new UsageError(`--fold ${problem.fold} is not in 0..${problem.folds - 1} (train.folds is ${problem.folds})`);
    case 'out-is-file': return new UserError(`--out ${problem.out} is a file; give a folder for the run`);
    case 'run-exists':
      return new UserError(`${problem.out} already holds a run (${listArtefacts(problem.artefacts)}); pass --resume to continue it, or --overwrite to move it aside to ${problem.out}.old-<time> and start over`);
    case 'run-config-differs':
      return new UserError(`--resume: ${problem.file} is another configuration; resume with the same --config and --set options, or pass --overwrite to move the old run aside and start over`);
    case 'checkpoint-config-differs': return new UserError(`--resume: ${problem.file} was trained with another configuration; resume with the same config and --set options`);
    case 'checkpoint-unreadable': return new UserError(`${problem.reason}; the checkpoint cannot be resumed: move it away to restart this fold, or pass --overwrite to start the run over`);
    case 'pretrained-unmatched':
      return new UserError(`--pretrained ${problem.file}: none of its ${problem.tensors} tensors match this model's backbone (expected torchvision names like features.conv0.weight)`);
    case 'dataset-errors': return new UserError(`${problem.root}: the data set has errors (listed above); fix them or pass --skip-bad to leave those images out`);
    case 'undecodable-images': return new UserError('some images could not be decoded (listed above); pass --skip-bad to train without them');
    case 'folds-file-errors': return new UserError(`${problem.file}: ${FOLDS_FILE_REFUSED}`);
    case 'folds-file-count': return new UserError(`${problem.file} assigns ${problem.found} folds but train.folds is ${problem.expected}; pass --folds ${problem.found}`);
  }
}
