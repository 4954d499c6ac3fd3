// The CPU-adapter pacer: keeps Node's main thread asleep while a CPU adapter computes.

/**
 * dawn.node polls in a busy loop while a map or work-done promise is pending, taking a core from
 * the driver's worker threads (a CPU adapter's throughput fell by 40 %; bench/RESULTS.md, "Why
 * the kernels are built as they are"). So before waiting, the thread sleeps for most of the time
 * the same wait took before. Waits are recognised by their signature (the number of dispatches,
 * the order of magnitude of their cost and the kernels they ran): a training or benchmark loop
 * repeats the same waits, and predicting from cost alone fails because kernels differ by 25x in
 * seconds per unit of cost (two kernels of the same cost sharing a signature had the faster one
 * slept on for the slower one's time). A wait never seen before is not slept on.
 */
export class Pacer {
  private pendingCost = 0;
  private pendingDispatches = 0;
  private unsubmittedCost = 0;
  private unsubmittedDispatches = 0;
  /** Order-independent sums of the kernels' key hashes. */
  private pendingKernels = 0;
  private unsubmittedKernels = 0;
  private firstSubmit = 0;
  private compiled = false;
  private sleptUntil = 0;
  private signature = '';
  private readonly seen = new Map<string, { seconds: number; fraction: number }>();

  constructor(public enabled: boolean) {}

  add(cost: number, kernel: string): void {
    this.unsubmittedCost += cost;
    this.unsubmittedDispatches++;
    this.unsubmittedKernels = (this.unsubmittedKernels + hash(kernel)) >>> 0;
  }

  submitted(): void {
    if (this.pendingDispatches === 0) this.firstSubmit = performance.now();
    this.pendingCost += this.unsubmittedCost;
    this.pendingDispatches += this.unsubmittedDispatches;
    this.pendingKernels = (this.pendingKernels + this.unsubmittedKernels) >>> 0;
    this.unsubmittedCost = 0;
    this.unsubmittedDispatches = 0;
    this.unsubmittedKernels = 0;
  }

  /**
   * A pipeline was created for the pending work: drivers compile it when it first runs (measured
   * on lavapipe: 40-50 ms per shader), which says nothing about the next identical wait.
   */
  compiling(): void { this.compiled = true; }

  async idle(): Promise<void> {
    this.sleptUntil = 0;
    this.signature = `${this.pendingDispatches}:${Math.round(4 * Math.log2(this.pendingCost + 1))}:${this.pendingKernels}`;
    const known = this.seen.get(this.signature);
    if (!this.enabled || !known) return;
    const remaining = known.fraction * known.seconds * 1000 - (performance.now() - this.firstSubmit);
    if (remaining > 1) {
      await new Promise((r) => setTimeout(r, Math.min(remaining, 5_000)));
      this.sleptUntil = performance.now();
    }
  }

  completed(): void {
    if (this.pendingDispatches > 0 && !this.compiled) {
      const now = performance.now();
      const known = this.seen.get(this.signature);
      const overslept = this.sleptUntil > 0 && now - this.sleptUntil < 2;
      if (known && overslept) {
        // Done before the sleep ended: the elapsed time measured the sleep, not the work, so the
        // estimate is too long; shorten it (a floor on the fraction alone kept oversleeping when
        // the work had become much faster than the estimate).
        known.fraction = Math.max(0.3, known.fraction * 0.85);
        known.seconds *= 0.7;
      } else {
        const seconds = (now - this.firstSubmit) / 1000;
        if (known) {
          known.seconds = 0.5 * known.seconds + 0.5 * seconds;
          known.fraction = Math.min(0.9, known.fraction * 1.05);
        } else if (seconds > 0.004) {
          this.seen.set(this.signature, { seconds, fraction: 0.8 });
        }
      }
    }
    this.pendingCost = 0;
    this.pendingDispatches = 0;
    this.pendingKernels = 0;
    this.compiled = false;
  }
}

/** FNV-1a of a kernel's pipeline key. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
