interface Waiting<I, O> {
  input: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: one batch in flight at a time, and the calls that arrive meanwhile go together in the next
 * one. Idle, a call runs at once, alone; busy, many calls share one statement (one round trip, one commit)
 * instead of queueing for a connection each. `run` answers one output per input, in the same order; when it
 * throws, every call of that batch fails with the error. Inputs with the same key never share a batch.
 */
export class GroupCommit<I, O> {
  private waiting: Waiting<I, O>[] = [];
  private busy = false;

  constructor(
    private readonly run: (inputs: I[]) => Promise<O[]>,
    private readonly options: { maxBatch: number; key?: (input: I) => string },
  ) {}

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (!this.busy) this.next();
    });
  }

  private next() {
    const batch = this.take();
    this.busy = batch.length > 0;
    if (!this.busy) return;
    this.run(batch.map((call) => call.input))
      .then(
        (outputs) => batch.forEach((call, i) => call.resolve(outputs[i])),
        (error: unknown) => batch.forEach((call) => call.reject(error)),
      )
      .finally(() => this.next());
  }

  private take(): Waiting<I, O>[] {
    const { maxBatch, key } = this.options;
    if (!key) return this.waiting.splice(0, maxBatch);
    const batch: Waiting<I, O>[] = [];
    const keys = new Set<string>();
    const later: Waiting<I, O>[] = [];
    for (const call of this.waiting) {
      const k = key(call.input);
      if (batch.length < maxBatch && !keys.has(k)) {
        keys.add(k);
        batch.push(call);
      } else later.push(call);
    }
    this.waiting = later;
    return batch;
  }
}
