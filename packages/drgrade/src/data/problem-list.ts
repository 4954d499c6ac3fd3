import { formatProblem, type DataProblem } from './types.ts';

/**
 * The problem list as text: a count line, then one `file:line: severity: message` per problem,
 * errors first. Past `limit`, one line counts the rest; `whereTheRestAre` (a command with a
 * fuller output says how to get it) is added to that line.
 */
export function formatProblems(problems: readonly DataProblem[], limit = Infinity, whereTheRestAre?: string): string {
  if (problems.length === 0) return 'no problems found\n';
  const errors = problems.filter((p) => p.severity === 'error').length;
  const warnings = problems.length - errors;
  const lines = [`${errors} error(s), ${warnings} warning(s):`];
  const sorted = [...problems].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  for (const p of sorted.slice(0, limit)) lines.push(`  ${formatProblem(p)}`);
  if (sorted.length > limit) lines.push(`  ... and ${sorted.length - limit} more${whereTheRestAre ? ` (${whereTheRestAre})` : ''}`);
  return `${lines.join('\n')}\n`;
}
