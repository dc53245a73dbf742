// The Mysfits API over fetch: JSON in, JSON out, every failure an ApiError with a readable message.

const TIMEOUT_MS = 10000;
// A like or an adoption waits longer: the API answers within its own publish budget (about 10 s),
// 202 or 503, and a caller that gives up first never hears which.
const SEND_TIMEOUT_MS = 15000;
// What a retry of a like or an adoption may wait for: 4 attempts in all, Retry-After when the API
// gives one (capped), else a short back-off that doubles.
const SEND_ATTEMPTS = 4;
const MAX_RETRY_WAIT_MS = 5000;
const FIRST_BACKOFF_MS = 250;
// An answer that says nothing about the request: the API, or a proxy in front of it, may have
// taken it or not. Every 4xx is final.
const RETRYABLE_STATUSES = new Set([502, 503, 504]);

export class ApiError extends Error {
  constructor(message, { status = 0, code = "network_error", correlationId = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.correlationId = correlationId;
  }
}

function readableFailure(status, error) {
  if (status === 503) return "Part of the service is having a nap right now. Please try again in a few seconds.";
  if (status === 404) return "That mysfit seems to have wandered off.";
  if (error && typeof error.message === "string" && error.message) return error.message;
  return `The API answered with an unexpected status (${status}).`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const backoffMs = (attemptNumber) => Math.min(FIRST_BACKOFF_MS * 2 ** (attemptNumber - 1), MAX_RETRY_WAIT_MS);

/** Retry-After in milliseconds (delay-seconds or an HTTP date), capped; null when absent or unreadable. */
function retryAfterMs(header) {
  const text = (header || "").trim();
  if (!text) return null;
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_WAIT_MS) : null;
}

/**
 * A new uuid4 for the Idempotency-Key header. crypto.randomUUID exists only in a secure context
 * (https, or http from 127.0.0.1 or localhost); a site served over plain http from another host
 * builds the same from crypto.getRandomValues, which every context has.
 */
function newIdempotencyKey() {
  if (typeof globalThis.crypto?.randomUUID === "function") return globalThis.crypto.randomUUID();
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // variant 10xx
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function createApi(baseUrl) {
  const base = String(baseUrl || "").replace(/\/+$/, "");

  async function attempt(method, path, headers, timeoutMs) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      return await fetch(base + path, { method, signal: controller.signal, headers: { Accept: "application/json", ...headers } });
    } catch (cause) {
      const timedOut = cause && cause.name === "AbortError";
      throw new ApiError(
        timedOut ? "The Mysfits API took too long to answer." : "We couldn't reach the Mysfits API.",
        { code: timedOut ? "timeout" : "network_error" },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async function answer(response) {
    const correlationId = response.headers.get("X-Correlation-Id");
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (!response.ok) {
      const error = body && body.error;
      throw new ApiError(readableFailure(response.status, error), {
        status: response.status,
        code: (error && error.code) || `http_${response.status}`,
        correlationId,
      });
    }
    return { status: response.status, body };
  }

  const request = async (method, path) => answer(await attempt(method, path, {}, TIMEOUT_MS));

  // A like or an adoption: one Idempotency-Key for every attempt of one click, so that when an
  // answer is lost (a 503 after the publish landed, a dropped connection, no answer in time) the
  // retry is the same event and counts once. The header makes the request non-simple: the browser
  // sends a CORS preflight first, which the API lets it cache (Access-Control-Max-Age).
  async function send(path) {
    const headers = { "Idempotency-Key": `"${newIdempotencyKey()}"` };
    for (let attemptNumber = 1; ; attemptNumber += 1) {
      const last = attemptNumber === SEND_ATTEMPTS;
      let response;
      try {
        response = await attempt("POST", path, headers, SEND_TIMEOUT_MS);
      } catch (error) {
        if (last) throw error;
        await sleep(backoffMs(attemptNumber));
        continue;
      }
      if (last || !RETRYABLE_STATUSES.has(response.status)) return answer(response);
      await sleep(retryAfterMs(response.headers.get("Retry-After")) ?? backoffMs(attemptNumber));
    }
  }

  const mysfitPath = (id) => `/mysfits/${encodeURIComponent(id)}`;

  return {
    async list(filter) {
      const query = filter && filter.name ? `?${new URLSearchParams({ filter: filter.name, value: filter.value })}` : "";
      const { body } = await request("GET", `/mysfits${query}`);
      if (!body || !Array.isArray(body.mysfits)) throw new ApiError("The API sent a list we could not read.", { code: "bad_response" });
      return body.mysfits;
    },
    async get(id) {
      const { body } = await request("GET", mysfitPath(id));
      return body;
    },
    like: (id) => send(`${mysfitPath(id)}/like`),
    adopt: (id) => send(`${mysfitPath(id)}/adopt`),
  };
}
