import type { OptionSpec } from './args.ts';
import type { Command } from './command.ts';

function optionLabel(o: OptionSpec): string {
  if (o.type === 'boolean') return `--${o.name}`;
  const value = o.placeholder ?? (o.choices ? `<${o.choices.join('|')}>` : `<${o.type}>`);
  return `--${o.name} ${value}`;
}

function columns(rows: [string, string][], indent = '  '): string {
  const width = Math.min(34, Math.max(...rows.map(([left]) => left.length)) + 2);
  return rows.map(([left, right]) => (left.length + 2 > width ? `${indent}${left}\n${indent}${' '.repeat(width)}${right}` : `${indent}${left.padEnd(width)}${right}`)).join('\n');
}

export function commandHelp(command: Command): string {
  const usage = [`drgrade ${command.name}`, ...command.positionals.map((p) => `${p.required ? `<${p.name}>` : `[${p.name}]`}${p.variadic ? '...' : ''}`), command.options.length > 0 ? '[options]' : ''].filter(Boolean).join(' ');
  const parts = [`Usage: ${usage}`, '', command.summary];
  if (command.details) parts.push('', command.details);
  if (command.positionals.length > 0) parts.push('', 'Arguments:', columns(command.positionals.map((p) => [`<${p.name}>`, p.description])));
  const options = command.options.map((o): [string, string] => [
    optionLabel(o),
    `${o.description}${o.required ? ' (required)' : ''}${o.default !== undefined && o.type !== 'boolean' ? ` (default ${o.default})` : ''}`,
  ]);
  options.push(['--help', 'show this help']);
  parts.push('', 'Options:', columns(options));
  if (command.examples?.length) parts.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return `${parts.join('\n')}\n`;
}

export function globalHelp(commands: readonly Command[], prefix = ''): string {
  const shown = commands.filter((c) => c.name.startsWith(prefix));
  return [
    `Usage: drgrade ${prefix ? `${prefix.trim()} ` : ''}<command> [options]`,
    '',
    'Diabetic-retinopathy grading: data sets, preprocessing, training and evaluation.',
    '',
    'Commands:',
    columns(shown.map((c) => [c.name, c.summary])),
    '',
    'Run "drgrade <command> --help" for the options of a command.',
    'An error is one line on stderr; set DRGRADE_DEBUG=1 to add its stack trace.',
    'Exit status: 0 success, 1 an error, 2 a usage error; predict and gradcam: 3 when some photograph was left out (ungradable, or skipped by --skip-bad).',
    '',
  ].join('\n');
}
