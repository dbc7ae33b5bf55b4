/**
 * The one polling primitive of the tests: retries `check` every `intervalMs` until it passes or the timeout
 * runs out (then its last error is thrown). No fixed sleeps.
 */
export async function eventually<T>(
  check: () => Promise<T>,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Reads `read` until `ok` holds, and returns that value; the error names the last value read. */
export function pollUntil<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 20_000,
  describe: (last: T) => string = (last) =>
    `condition not met in ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
): Promise<T> {
  return eventually(async () => {
    const value = await read();
    if (!ok(value)) throw new Error(describe(value));
    return value;
  }, timeoutMs);
}
