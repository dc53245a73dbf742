// The Mysfits API over fetch: JSON in, JSON out, every failure an ApiError with a readable message.

const TIMEOUT_MS = 10000;

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

export function createApi(baseUrl) {
  const base = String(baseUrl || "").replace(/\/+$/, "");

  async function request(method, path) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let response;
    try {
      // No body and no custom header: likes and adoptions stay "simple" requests, so the browser
      // sends no CORS preflight before each one.
      response = await fetch(base + path, { method, signal: controller.signal, headers: { Accept: "application/json" } });
    } catch (cause) {
      const timedOut = cause && cause.name === "AbortError";
      throw new ApiError(
        timedOut ? "The Mysfits API took too long to answer." : "We couldn't reach the Mysfits API.",
        { code: timedOut ? "timeout" : "network_error" },
      );
    } finally {
      clearTimeout(timer);
    }
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
    like: (id) => request("POST", `${mysfitPath(id)}/like`),
    adopt: (id) => request("POST", `${mysfitPath(id)}/adopt`),
  };
}
