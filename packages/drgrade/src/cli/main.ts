// Entry point of the `drgrade` executable (bundled to dist/cli.js, started by bin/drgrade.js).
import { runCli } from './run.ts';

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
// Exit explicitly once the output is flushed: the WebGPU instance (Dawn) keeps the event loop alive.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
