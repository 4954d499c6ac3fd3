// Entry point of the `drgrade` executable (bundled to dist/cli.js, started by bin/drgrade.js).
import { runCli } from './run.ts';

// runCli reports every failure of a command itself; this catches what escapes it (a worker
// thread's crash) so that it, too, is one line unless DRGRADE_DEBUG=1.
process.on('uncaughtException', (error) => {
  process.stderr.write(process.env.DRGRADE_DEBUG === '1' ? `${error.stack}\n` : `drgrade: ${error.message} (set DRGRADE_DEBUG=1 for the stack trace)\n`);
  process.exit(1);
});
const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
// Exit explicitly once the output is flushed: the WebGPU instance (Dawn) keeps the event loop alive.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
