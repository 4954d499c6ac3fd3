// Entry point of the `drgrade` executable (bundled to dist/cli.js, started by bin/drgrade.js).
import { runCli } from './run.ts';

process.exitCode = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
