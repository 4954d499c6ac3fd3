/** Where progress goes: a terminal gets a redrawn bar, anything else occasional lines. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

/**
 * A progress bar with rate and ETA on stderr: `label [#####.....] 120/516 23% 8.1/s ETA 00:49`.
 * Redraws at most 10 times a second on a terminal; in logs it prints a line per 10 %.
 */
export class Progress {
  private done = 0;
  private readonly start = performance.now();
  private lastDraw = performance.now();
  private lastDecile = -1;
  /** Extra text after the rate and ETA (training shows the running loss here). */
  detail = '';

  constructor(
    private readonly stream: ProgressStream,
    private readonly total: number,
    private readonly label: string,
    /** Items already finished before this run (a resumed job); excluded from the rate. */
    private readonly skipped = 0,
  ) {
    this.done = skipped;
  }

  tick(n = 1): void {
    this.done += n;
    const now = performance.now();
    if (this.stream.isTTY) {
      if (now - this.lastDraw >= 100 || this.done >= this.total) {
        this.lastDraw = now;
        this.stream.write(`\r${this.line(now)}\x1b[K`);
      }
    } else {
      // Logs get a line per 10 %, but not more than one every 2 s, and always the last one.
      const decile = this.total === 0 ? 10 : Math.floor((10 * this.done) / this.total);
      if ((decile > this.lastDecile && now - this.lastDraw >= 2000) || this.done >= this.total) {
        this.lastDecile = decile;
        this.lastDraw = now;
        this.stream.write(`${this.line(now)}\n`);
      }
    }
  }

  /** Ends the bar's line on a terminal. */
  finish(): void {
    if (this.stream.isTTY) this.stream.write(`\r${this.line(performance.now())}\x1b[K\n`);
  }

  private line(now: number): string {
    const elapsed = (now - this.start) / 1000;
    const fresh = this.done - this.skipped;
    const rate = elapsed > 0 ? fresh / elapsed : 0;
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    const fraction = this.total === 0 ? 1 : this.done / this.total;
    const width = 24;
    const filled = Math.round(fraction * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    return `${this.label} [${bar}] ${this.done}/${this.total} ${Math.floor(fraction * 100)}% ${rate.toFixed(1)}/s ETA ${formatDuration(eta)}${this.detail ? ` ${this.detail}` : ''}`;
  }
}
