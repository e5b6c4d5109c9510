/** A one-line progress bar with rate and ETA, drawn on a terminal (stderr) only. */
export class Progress {
  readonly #start = Date.now();
  #done = 0;
  #drawn = 0;
  readonly #enabled: boolean;

  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.#enabled = Boolean(stream.isTTY) && total > 1;
  }

  tick(n = 1): void {
    this.#done += n;
    const now = Date.now();
    if (!this.#enabled || (now - this.#drawn < 100 && this.#done < this.total)) return;
    this.#drawn = now;
    const width = 30;
    const filled = Math.round((width * this.#done) / this.total);
    const rate = this.#done / Math.max(1e-3, (now - this.#start) / 1000);
    const eta = (this.total - this.#done) / Math.max(rate, 1e-9);
    this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.#done}/${this.total}  ${rate.toFixed(1)} img/s  ETA ${eta < 1 ? '<1' : Math.round(eta)}s `);
  }

  end(): void {
    if (this.#enabled) this.stream.write('\r\x1b[2K');
  }
}
