/**
 * A one-line progress bar for long CLI operations, redrawn in place on a terminal and
 * silent otherwise (logs and pipes get the summary only).
 */
export class ProgressLine {
  readonly #total: number;
  readonly #label: string;
  readonly #tty: boolean;
  readonly #stream: NodeJS.WritableStream;
  #done = 0;
  #lastDraw = 0;

  /** Draws on `stream`, and only when that very stream is a terminal. */
  constructor(label: string, total: number, stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr) {
    this.#label = label;
    this.#total = total;
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
  }

  tick(n = 1): void {
    this.#done += n;
    const now = Date.now();
    if (this.#tty && (now - this.#lastDraw > 100 || this.#done === this.#total)) {
      this.#lastDraw = now;
      this.#stream.write(`\r${this.render()}`);
    }
  }

  render(width = 30): string {
    const ratio = this.#total === 0 ? 1 : Math.min(1, this.#done / this.#total);
    const filled = Math.round(ratio * width);
    return `${this.#label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.#done}/${this.#total} ${Math.floor(ratio * 100)}%`;
  }

  end(): void {
    if (this.#tty) this.#stream.write(`\r${this.render()}\n`);
  }
}
