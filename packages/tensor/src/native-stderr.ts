// Node only: what Dawn's native code writes to file descriptor 2 while an adapter is requested.
// Dawn logs through fprintf(stderr) with no switch and no callback, and every adapter request
// on lavapipe (or a GPU's Vulkan driver) prints two "…artificially reduced…" lines that users
// read as errors. Node has no dup2, so descriptor 2 is pointed at a temporary file for the
// request (closing 2 frees the number and open() takes the lowest free one), then back at the
// original by reopening it through /proc/self/fd. The caller decides what of the text to pass on.

/** Dawn's notices that it clamps two limits drgrade never uses (dynamic buffer offsets). */
const DAWN_LIMIT_NOTICE = /^Warning: maxDynamic(?:Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

/** The captured text without Dawn's limit notices. */
export function withoutLimitNotices(text: string): string {
  return text.split('\n').filter((line) => !DAWN_LIMIT_NOTICE.test(line)).join('\n');
}

/**
 * Runs `fn` with descriptor 2 captured and returns its value and the captured text. Where stderr
 * cannot be reopened (not Linux, or a socket such as a Node parent's `stdio: 'pipe'`), nothing
 * is captured and the text is empty: Dawn's lines then reach stderr as before.
 */
export async function captureNativeStderr<T>(fn: () => Promise<T>): Promise<{ value: T; text: string }> {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  // Node creates process.stderr lazily from whatever descriptor 2 is: make it see the real one.
  void process.stderr;
  let original: number;
  try {
    original = fs.openSync('/proc/self/fd/2', 'a');
  } catch {
    return { value: await fn(), text: '' };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drgrade-dawn-'));
  const file = path.join(dir, 'stderr');
  // Close and open are synchronous calls back to back: only another thread opening a file in
  // between could take the number.
  fs.closeSync(2);
  fs.openSync(file, 'w');
  const restore = () => {
    fs.closeSync(2);
    fs.openSync(`/proc/self/fd/${original}`, 'a');
    fs.closeSync(original);
  };
  try {
    const value = await fn();
    restore();
    return { value, text: fs.readFileSync(file, 'utf8') };
  } catch (e) {
    restore();
    throw e;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
