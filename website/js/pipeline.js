// The live pipeline page: GET /pipeline every REFRESH_MS, each count written where its data-count
// names it, a dead-letter queue lit while it holds anything. Counts only: the API sends no message.

const REFRESH_MS = 1500;
const TIMEOUT_MS = 5000;

const main = document.querySelector("#main");
const state = document.querySelector("#pipeline-state");
const apiBaseUrl = String((window.MYSFITS_CONFIG && window.MYSFITS_CONFIG.apiBaseUrl) || "").replace(/\/+$/, "");

const lookup = (data, path) => path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), data);

function lastPoll(worker) {
  if (!worker || worker.lastPollSecondsAgo == null) return "unknown";
  const seconds = Math.round(worker.lastPollSecondsAgo);
  return seconds < 120 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
}

function render(data) {
  for (const name of ["like", "adoption"]) {
    const worker = data.workers && data.workers[name];
    if (worker) worker.lastPoll = lastPoll(worker);
  }
  for (const element of document.querySelectorAll("[data-count]")) {
    const value = lookup(data, element.dataset.count);
    element.textContent = value == null ? "–" : String(value);
  }
  const lit = [];
  for (const dlq of document.querySelectorAll(".stage--dlq")) {
    const visible = Number(lookup(data.queues, `${dlq.dataset.queue}.visible`)) || 0;
    dlq.dataset.state = visible > 0 ? "alert" : "calm";
    if (visible > 0) lit.push(`${visible} in the ${dlq.dataset.queue.split(".")[0]} dead-letter queue`);
  }
  const message = lit.length ? `Dead letters: ${lit.join(", ")}.` : "Live: every count refreshes every 1.5 s.";
  if (state.textContent !== message) state.textContent = message; // a live region: speak only changes
  state.dataset.state = lit.length ? "alert" : "live";
}

async function refresh() {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    const response = await fetch(`${apiBaseUrl}/pipeline`, { signal: controller.signal, headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => null);
    if (response.status === 404 && body && body.error && body.error.code === "pipeline_view_off") {
      state.textContent = "The pipeline view is off on this API (set PIPELINE_VIEW=1 on the monolith).";
      state.dataset.state = "off";
      return false;
    }
    if (!response.ok || !body) throw new Error(`status ${response.status}`);
    render(body);
  } catch {
    state.textContent = "The API does not answer right now; trying again…";
    state.dataset.state = "error";
  } finally {
    clearTimeout(timer);
    main.setAttribute("aria-busy", "false");
  }
  return true;
}

async function loop() {
  if (!apiBaseUrl) {
    state.textContent = "No API configured (config.js).";
    return;
  }
  // One request at a time: a slow answer delays the next refresh rather than piling requests up.
  while (await refresh()) {
    await new Promise((resolve) => setTimeout(resolve, REFRESH_MS));
  }
}

loop();
