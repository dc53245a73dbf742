// The page: a grid of mysfits, filters, a profile dialog, and likes and adoptions that show what
// the API has confirmed, not what we hope it will.

import { ApiError, createApi } from "./api.js";
import { pollUntil } from "./poll.js";

const FALLBACK_IMAGE = "images/mystery.svg";
const ALIGNMENT_KINDS = { goodevil: "Heart", lawchaos: "Temper" };

const $ = (selector, root = document) => root.querySelector(selector);
const ui = {
  grid: $("#mysfits"),
  summary: $("#summary"),
  announcer: $("#announcer"),
  notice: $("#notice"),
  loadError: $("#load-error"),
  dialog: $("#profile"),
  cardTemplate: $("#card-template"),
  actionsTemplate: $("#actions-template"),
  filters: [...document.querySelectorAll(".filter")],
};

const apiBaseUrl = window.MYSFITS_CONFIG && window.MYSFITS_CONFIG.apiBaseUrl;
const api = apiBaseUrl ? createApi(apiBaseUrl) : null;

// One entry per mysfit seen: what the API last said, plus what this page still waits for.
const entries = new Map();
const cards = new Map();
let currentFilter = { name: "", value: "" };
let latestListRequest = 0;
let profile = { id: null, opener: null };

// -- state --------------------------------------------------------------------------------------

function upsert(mysfit) {
  let entry = entries.get(mysfit.mysfitId);
  if (!entry) {
    entry = {
      id: mysfit.mysfitId,
      data: {},
      likesConfirmed: 0,
      likesTarget: 0,
      likeState: "confirmed", // confirmed | pending | slow
      likePoll: null,
      adoptState: "available", // available | pending | adopted | already
    };
    entries.set(entry.id, entry);
  }
  entry.data = { ...entry.data, ...mysfit };
  const likes = Number(mysfit.likes);
  if (Number.isFinite(likes)) {
    entry.likesConfirmed = likes;
    if (likes >= entry.likesTarget) {
      entry.likesTarget = likes;
      entry.likeState = "confirmed";
    }
  }
  if (mysfit.adopted === true && entry.adoptState !== "already") entry.adoptState = "adopted";
  if (mysfit.adopted === false && entry.adoptState !== "pending") entry.adoptState = "available";
  return entry;
}

const shownLikes = (entry) => Math.max(entry.likesConfirmed, entry.likesTarget);
const nameOf = (entry) => entry.data.name || "this mysfit";

async function refresh(id) {
  const mysfit = await api.get(id);
  const entry = upsert(mysfit);
  render(entry);
  return mysfit;
}

// -- likes: optimistic at once, confirmed by polling the API ------------------------------------

async function like(entry) {
  entry.likesTarget = shownLikes(entry) + 1;
  entry.likeState = "pending";
  entry.popped = true;
  render(entry);
  try {
    await api.like(entry.id);
  } catch (error) {
    entry.likesTarget -= 1;
    if (entry.likesConfirmed >= entry.likesTarget) entry.likeState = "confirmed";
    render(entry);
    showNotice(`Your like for ${nameOf(entry)} didn't go through. ${describe(error)}`);
    return;
  }
  announce(`Like sent to ${nameOf(entry)}. Counting…`);
  confirmLikes(entry);
}

async function confirmLikes(entry) {
  // A newer like restarts the backoff: its worker run is what we wait for now.
  entry.likePoll?.abort();
  const poll = new AbortController();
  entry.likePoll = poll;
  const result = await pollUntil(() => refresh(entry.id), () => entry.likesConfirmed >= entry.likesTarget, {
    signal: poll.signal,
  });
  if (result.aborted) return;
  entry.likePoll = null;
  if (result.done) {
    announce(`${nameOf(entry)} now has ${plural(entry.likesConfirmed, "like")}.`);
  } else {
    entry.likeState = "slow";
  }
  render(entry);
}

// -- adoptions: pending until the adoption worker has decided ------------------------------------

async function adopt(entry) {
  if (entry.adoptState !== "available") return;
  entry.adoptState = "pending";
  render(entry);
  try {
    await api.adopt(entry.id);
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      entry.adoptState = "already";
      entry.data.adopted = true;
      announce(`${nameOf(entry)} has already been adopted.`);
      refresh(entry.id).catch(() => {}); // this page was stale: show the rest of the truth too
    } else {
      entry.adoptState = "available";
      showNotice(`We couldn't send your adoption request for ${nameOf(entry)}. ${describe(error)}`);
    }
    render(entry);
    return;
  }
  announce(`Adoption request for ${nameOf(entry)} sent. Waiting for confirmation…`);
  const result = await pollUntil(() => refresh(entry.id), (mysfit) => mysfit.adopted === true);
  if (result.done) {
    announce(`${nameOf(entry)} is adopted!`);
  } else {
    showNotice(
      `Your adoption request for ${nameOf(entry)} is still being processed. ` +
        "It will show here once it is decided; try reloading in a minute.",
    );
  }
}

// -- rendering ----------------------------------------------------------------------------------

function imageUrl(uri) {
  if (!uri) return FALLBACK_IMAGE;
  try {
    const url = new URL(uri, document.baseURI);
    if (url.protocol === "http:" || url.protocol === "https:") return url.href;
  } catch {
    // fall through to the fallback picture
  }
  return FALLBACK_IMAGE;
}

function setImage(img, uri, alt) {
  const src = imageUrl(uri);
  if (img.dataset.src !== src) {
    img.dataset.src = src;
    img.src = src;
  }
  img.alt = alt;
}

function renderChips(container, data) {
  const chips = Object.entries(ALIGNMENT_KINDS)
    .filter(([field]) => data[field])
    .map(([field, kind]) => {
      const chip = document.createElement("span");
      chip.className = `chip chip--${String(data[field]).toLowerCase()}`;
      chip.title = `${kind}: ${data[field]}`;
      const label = document.createElement("span");
      label.className = "visually-hidden";
      label.textContent = `${kind}: `;
      chip.append(label, String(data[field]));
      return chip;
    });
  container.replaceChildren(...chips);
}

const LIKE_NOTES = { confirmed: "", pending: "counting…", slow: "still on its way" };
const HOME_LABELS = { available: "Still looking", pending: "Being decided", adopted: "Found one", already: "Found one" };
const ADOPT_LABELS = { available: "Adopt me", pending: "Pending…", adopted: "Adopted!", already: "Already adopted" };

function renderActions(container, entry) {
  const likeButton = $(".like", container);
  const count = shownLikes(entry);
  likeButton.dataset.state = entry.likeState;
  $(".like__count", likeButton).textContent = String(count);
  const note = LIKE_NOTES[entry.likeState];
  $(".like__label", likeButton).textContent = `Like ${nameOf(entry)} (${plural(count, "like")}${note ? `, ${note}` : ""})`;
  $(".like__note", container).textContent = note;
  if (entry.popped) {
    likeButton.classList.remove("like--pop");
    void likeButton.offsetWidth; // restart the animation on every click
    likeButton.classList.add("like--pop");
  }

  const adoptButton = $(".adopt", container);
  adoptButton.dataset.state = entry.adoptState;
  adoptButton.textContent = ADOPT_LABELS[entry.adoptState];
  adoptButton.setAttribute("aria-label", `${ADOPT_LABELS[entry.adoptState]} (${nameOf(entry)})`);
  // aria-disabled rather than disabled: the button keeps keyboard focus while its state changes.
  adoptButton.setAttribute("aria-disabled", String(entry.adoptState !== "available"));
  adoptButton.setAttribute("aria-busy", String(entry.adoptState === "pending"));
}

function createCard(entry) {
  const card = ui.cardTemplate.content.firstElementChild.cloneNode(true);
  card.dataset.mysfitId = entry.id;
  $(".card__name", card).id = `name-${entry.id}`;
  $(".card__inner", card).setAttribute("aria-labelledby", `name-${entry.id}`);
  $(".card__actions", card).append(ui.actionsTemplate.content.cloneNode(true));
  cards.set(entry.id, card);
  return card;
}

function renderCard(card, entry) {
  const { data } = entry;
  card.dataset.goodevil = data.goodevil || "";
  card.dataset.lawchaos = data.lawchaos || "";
  card.dataset.adopted = String(entry.adoptState === "adopted" || entry.adoptState === "already");
  card.dataset.likeState = entry.likeState;
  $(".card__name", card).textContent = data.name || "Unnamed mysfit";
  $(".card__species", card).textContent = data.species || "";
  setImage($(".card__image", card), data.thumbImageUri, portraitAlt(data));
  renderChips($(".card__alignment", card), data);
  renderActions($(".card__actions", card), entry);
}

function renderProfile(entry) {
  const { data } = entry;
  const dialog = ui.dialog;
  dialog.dataset.mysfitId = entry.id;
  dialog.dataset.likeState = entry.likeState;
  dialog.dataset.goodevil = data.goodevil || "";
  $(".profile__name", dialog).textContent = data.name || "Unnamed mysfit";
  $(".profile__species", dialog).textContent = data.species || "";
  setImage($(".profile__image", dialog), data.profileImageUri || data.thumbImageUri, portraitAlt(data));
  renderChips($(".profile__alignment", dialog), data);
  $(".profile__age", dialog).textContent = data.age === undefined ? "…" : plural(data.age, "year");
  $(".profile__home", dialog).textContent = HOME_LABELS[entry.adoptState];
  if (data.description !== undefined) $(".profile__description", dialog).textContent = data.description;
  renderActions($(".profile__actions", dialog), entry);
}

function render(entry) {
  const card = cards.get(entry.id);
  if (card) renderCard(card, entry);
  if (profile.id === entry.id) renderProfile(entry);
  entry.popped = false;
  if (card && card.isConnected) showSummary();
}

function showSummary() {
  const text = summaryText();
  if (ui.summary.textContent !== text) ui.summary.textContent = text; // unchanged text is not re-announced
}

const portraitAlt = (data) => `${data.name || "A mysfit"}${data.species ? `, the ${data.species}` : ""}`;
const plural = (n, word) => `${n} ${word}${Number(n) === 1 ? "" : "s"}`;

// -- messages -----------------------------------------------------------------------------------

function describe(error) {
  if (error instanceof ApiError) {
    return error.correlationId ? `${error.message} (reference ${error.correlationId})` : error.message;
  }
  return "Something unexpected went wrong.";
}

function announce(text) {
  ui.announcer.textContent = "";
  requestAnimationFrame(() => {
    ui.announcer.textContent = text;
  });
}

function showNotice(text) {
  $(".notice__text", ui.notice).textContent = text;
  ui.notice.hidden = false;
}

function showLoadError(text) {
  $(".load-error__text", ui.loadError).textContent = text;
  ui.loadError.hidden = false;
}

function summaryText() {
  const shown = [...ui.grid.children];
  const count = shown.length;
  if (!currentFilter.name) {
    const homeless = shown.filter((card) => card.dataset.adopted !== "true").length;
    return `${plural(count, "mysfit")}, ${homeless} still looking for a home.`;
  }
  const kind = currentFilter.name === "GoodEvil" ? "Heart" : "Temper";
  if (count === 0) return `No mysfits with a ${currentFilter.value} ${kind.toLowerCase()} right now.`;
  return `${plural(count, "mysfit")} with a ${currentFilter.value} ${kind.toLowerCase()}.`;
}

// -- loading and filtering ----------------------------------------------------------------------

async function loadMysfits() {
  const request = ++latestListRequest;
  ui.grid.setAttribute("aria-busy", "true");
  ui.loadError.hidden = true;
  if (!api) {
    ui.grid.hidden = true;
    ui.summary.textContent = "";
    showLoadError("This site doesn't know where the Mysfits API is: its config.js is missing or empty.");
    return;
  }
  try {
    const mysfits = await api.list(currentFilter);
    if (request !== latestListRequest) return;
    const shown = mysfits
      .map(upsert)
      .sort((a, b) => nameOf(a).localeCompare(nameOf(b)) || a.id.localeCompare(b.id));
    ui.grid.replaceChildren(...shown.map((entry) => cards.get(entry.id) || createCard(entry)));
    shown.forEach(render);
    ui.grid.hidden = false;
    showSummary();
  } catch (error) {
    if (request !== latestListRequest) return;
    ui.grid.replaceChildren();
    ui.grid.hidden = true;
    ui.summary.textContent = "";
    showLoadError(`${describe(error)} Check that the API is running, then try again.`);
  } finally {
    if (request === latestListRequest) ui.grid.setAttribute("aria-busy", "false");
  }
}

function chooseFilter(button) {
  currentFilter = { name: button.dataset.filter, value: button.dataset.value };
  for (const other of ui.filters) other.setAttribute("aria-pressed", String(other === button));
  loadMysfits();
}

// -- profile dialog -----------------------------------------------------------------------------

async function openProfile(entry, opener) {
  profile = { id: entry.id, opener };
  const description = $(".profile__description", ui.dialog);
  description.textContent = entry.data.description === undefined ? "Fetching their story…" : entry.data.description;
  renderProfile(entry);
  ui.dialog.showModal();
  try {
    await refresh(entry.id);
  } catch (error) {
    if (profile.id === entry.id) description.textContent = `We couldn't fetch ${nameOf(entry)}'s story. ${describe(error)}`;
  }
}

ui.dialog.addEventListener("close", () => {
  const { opener } = profile;
  profile = { id: null, opener: null };
  if (opener && opener.isConnected) opener.focus();
});
ui.dialog.addEventListener("click", (event) => {
  if (event.target === ui.dialog) ui.dialog.close(); // a click on the backdrop
});
$(".profile__close", ui.dialog).addEventListener("click", () => ui.dialog.close());

// -- wiring -------------------------------------------------------------------------------------

document.addEventListener("click", (event) => {
  const button = event.target.closest("button");
  const holder = button && button.closest("[data-mysfit-id]");
  const entry = holder && entries.get(holder.dataset.mysfitId);
  if (!entry) return;
  if (button.classList.contains("like")) like(entry);
  else if (button.classList.contains("adopt")) adopt(entry);
  else if (button.classList.contains("card__portrait")) openProfile(entry, button);
});
document.addEventListener("animationend", (event) => {
  if (event.animationName === "pop") event.target.closest(".like")?.classList.remove("like--pop");
});

$(".profile__actions", ui.dialog).append(ui.actionsTemplate.content.cloneNode(true));
for (const button of ui.filters) button.addEventListener("click", () => chooseFilter(button));
$(".notice__dismiss", ui.notice).addEventListener("click", () => {
  ui.notice.hidden = true;
});
$(".load-error__retry", ui.loadError).addEventListener("click", async () => {
  await loadMysfits();
  if (ui.loadError.hidden) ui.grid.focus();
});
document.addEventListener(
  "error",
  (event) => {
    // A picture that fails to load becomes the mystery silhouette, once.
    const img = event.target;
    if (img instanceof HTMLImageElement && !img.src.endsWith(FALLBACK_IMAGE)) img.src = FALLBACK_IMAGE;
  },
  true,
);

loadMysfits();
