// How often a crashed renderer is reloaded. Pure so it is tested in Node.

/** At most `max` reloads within `windowMs`: a page that crashes as it loads is not reloaded for ever. */
export class CrashBudget {
  private times: number[] = [];
  constructor(
    private readonly max = 3,
    private readonly windowMs = 60_000,
  ) {}

  /** Records a crash at `now`; true when the page may be reloaded once more. */
  allow(now: number): boolean {
    this.times = this.times.filter((t) => now - t < this.windowMs);
    if (this.times.length >= this.max) return false;
    this.times.push(now);
    return true;
  }
}
