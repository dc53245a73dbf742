// Polling with exponential backoff: a worker usually answers within a second, so start fast, then
// slow down, and give up after a while rather than hammer the API.

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
  });

/**
 * Call `probe` after 0.5 s, 1 s, 2 s, 4 s, then every 5 s until `accept(value)` holds or `timeoutMs`
 * has passed. Errors from `probe` count as a failed attempt, not as the end.
 * Resolves to { done, value, error, aborted }.
 */
export async function pollUntil(probe, accept, { firstDelayMs = 500, maxDelayMs = 5000, timeoutMs = 30000, signal } = {}) {
  const deadline = Date.now() + timeoutMs;
  let delay = firstDelayMs;
  let last = { value: undefined, error: undefined };
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { done: false, aborted: false, ...last };
    await sleep(Math.min(delay, remaining), signal);
    if (signal?.aborted) return { done: false, aborted: true, ...last };
    try {
      const value = await probe();
      last = { value, error: undefined };
      if (accept(value)) return { done: true, aborted: false, value };
    } catch (error) {
      last = { value: last.value, error };
    }
    if (signal?.aborted) return { done: false, aborted: true, ...last };
    delay = Math.min(delay * 2, maxDelayMs);
  }
}
