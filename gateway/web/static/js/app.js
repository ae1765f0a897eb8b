// Shared helpers of the agents' UI: API calls (session cookie + CSRF), errors, French dates, DOM.

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `Erreur ${status} : le serveur n'a pas pu traiter la demande.`);
    this.status = status;
    this.code = err.code || "http_" + status;
    this.details = err.details || {};
  }
  get fields() {
    return (this.details && this.details.fields) || {};
  }
}

export function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
}

let loggingOut = false;

function goLogin() {
  if (loggingOut) return; // logout() goes to /login itself
  const next = location.pathname + location.search;
  location.href = "/login?next=" + encodeURIComponent(next);
}

// Call /api/v1 (path without the prefix); JSON in and out; throws ApiError. 401 -> /login.
export async function api(method, path, body, { redirectOn401 = true, query } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!["GET", "HEAD"].includes(method)) {
    const csrf = cookie("rdv_csrf");
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  // Paths are relative to /api/v1, except the UI's own JSON routes (/web/..., /prendre-rdv/...).
  let url = /^\/(api|web|prendre-rdv)\//.test(path) ? path : "/api/v1" + path;
  if (query) url += (url.includes("?") ? "&" : "?") + qs(query);
  let resp;
  try {
    resp = await fetch(url, { method, headers, credentials: "same-origin",
                              body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { error: { code: "network", message: "Le serveur ne répond pas. Vérifiez votre connexion puis réessayez." } });
  }
  if (resp.status === 401 && redirectOn401) {
    goLogin();
    throw new ApiError(401, { error: { code: "unauthorized", message: "Session expirée : reconnectez-vous." } });
  }
  if (resp.status === 204) return null;
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

// Query string from an object; arrays repeat the key; empty values are left out.
export function qs(params) {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === "") continue;
    if (Array.isArray(v)) v.forEach((x) => search.append(k, x));
    else search.append(k, v);
  }
  return search.toString();
}

// Every item of a paginated list (items, total, page, per_page), up to `max`.
export async function listAll(path, query = {}, max = 1000) {
  const items = [];
  for (let page = 1; ; page++) {
    const data = await api("GET", path, undefined, { query: { ...query, page, per_page: 200 } });
    const batch = Array.isArray(data) ? data : data.items || [];
    items.push(...batch);
    if (Array.isArray(data) || batch.length < 200 || items.length >= (data.total || 0) || items.length >= max) break;
  }
  return items;
}

// ---------------------------------------------------------------- session, layout
let mePromise = null;
export function me() {
  if (!mePromise) mePromise = api("GET", "/me");
  return mePromise;
}

export function orgTimezone(agent) {
  return (agent && agent.organisation && agent.organisation.timezone) || "Europe/Paris";
}

export async function logout() {
  loggingOut = true;
  try { await api("POST", "/auth/logout", undefined, { redirectOn401: false }); } catch (e) { /* already out */ }
  location.href = "/login";
}

// Every "Se déconnecter" button (the header's, and its copy in the phone menu made by the DSFR) logs out.
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-logout]")) logout();
});

// Fill the header with the agent's name, organisation and admin link.
export function fillLayout(agent) {
  const name = document.getElementById("user-name");
  if (name) name.textContent = fullName(agent);
  const org = document.getElementById("org-name");
  if (org && agent.organisation) org.textContent = agent.organisation.name;
  if (agent.role === "admin") document.querySelectorAll(".admin-only").forEach((e) => (e.hidden = false));
  return agent;
}

// Fill the header (name, organisation, admin link); the logout buttons are wired above. Returns the agent.
export async function initLayout() {
  return fillLayout(await me());
}

export function fullName(p) {
  if (!p) return "";
  return [p.first_name, p.last_name].filter(Boolean).join(" ") || p.email || "";
}

// ---------------------------------------------------------------- dates (organisation timezone)
function parts(date, tz, options) {
  const out = {};
  for (const p of new Intl.DateTimeFormat("fr-FR", { timeZone: tz, ...options }).formatToParts(date)) out[p.type] = p.value;
  return out;
}

// "mardi 2 mars 2027"
export function fmtDay(value, tz) {
  const date = typeof value === "string" && value.length === 10 ? new Date(value + "T12:00:00Z") : new Date(value);
  const zone = typeof value === "string" && value.length === 10 ? "UTC" : tz;
  return new Intl.DateTimeFormat("fr-FR", { timeZone: zone, weekday: "long", day: "numeric", month: "long", year: "numeric" }).format(date);
}

// "10 h 00"
export function fmtTime(value, tz) {
  const p = parts(new Date(value), tz, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  return `${p.hour} h ${p.minute}`;
}

// "mardi 2 mars 2027 à 10 h 00"
export function fmtDateTime(value, tz) {
  return `${fmtDay(value, tz)} à ${fmtTime(value, tz)}`;
}

// "HH:MM" wall time -> "10 h 00"
export function fmtWall(hhmm) {
  if (!hhmm) return "";
  const [h, m] = hhmm.split(":");
  return `${h} h ${m}`;
}

// The wall clock of an instant in tz, "YYYY-MM-DDTHH:MM:SS" (no offset).
export function wallClock(value, tz) {
  const p = parts(new Date(value), tz, { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
                                         minute: "2-digit", second: "2-digit", hourCycle: "h23" });
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

// Today's day in tz, "YYYY-MM-DD" (the server's clock may be set by RDV_NOW: use serverNow()).
export function dayOf(value, tz) {
  return wallClock(value, tz).slice(0, 10);
}

let nowPromise = null;
// The system's "now" (honours RDV_NOW in dev/test), from GET /healthz; falls back to the browser's clock.
export function serverNow() {
  if (!nowPromise) {
    nowPromise = fetch("/healthz").then((r) => r.json()).then((b) => new Date(b.now || Date.now()))
      .catch(() => new Date());
  }
  return nowPromise;
}

export async function today(tz) {
  return dayOf(await serverNow(), tz);
}

export function addDays(day, n) {
  const d = new Date(day + "T12:00:00Z");
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// Local wall time (day + "HH:MM") in tz -> ISO instant with offset, DST-safe (two passes).
export function toInstant(day, hhmm, tz) {
  const guess = new Date(`${day}T${hhmm}:00Z`);
  let ts = guess.getTime();
  for (let i = 0; i < 2; i++) {
    const wall = new Date(wallClock(new Date(ts), tz) + "Z").getTime();
    ts += guess.getTime() - wall;
  }
  const offsetMin = Math.round((new Date(wallClock(new Date(ts), tz) + "Z").getTime() - ts) / 60000);
  const sign = offsetMin >= 0 ? "+" : "-";
  const abs = Math.abs(offsetMin);
  const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  return `${wallClock(new Date(ts), tz)}${off}`;
}

// ---------------------------------------------------------------- words
export const STATUS_LABELS = {
  unknown: "À venir",
  a_venir: "À venir",
  a_renseigner: "À renseigner",
  seen: "Honoré",
  noshow: "Absence non excusée",
  excused: "Annulé (à la demande de l'usager)",
  revoked: "Annulé (par le service)",
};

// The DSFR's system colours (info, warning, success, error, grey), readable under white text.
export const STATUS_COLORS = {
  a_venir: "#0063cb",
  unknown: "#0063cb",
  a_renseigner: "#b34000",
  seen: "#18753c",
  noshow: "#ce0500",
  excused: "#666666",
  revoked: "#666666",
};

export const WEEKDAYS = [
  ["monday", "lundi"], ["tuesday", "mardi"], ["wednesday", "mercredi"], ["thursday", "jeudi"],
  ["friday", "vendredi"], ["saturday", "samedi"], ["sunday", "dimanche"],
];

export const LOCATION_TYPES = {
  public_office: "Sur place", phone: "Par téléphone", home: "À domicile", visio: "Par visioconférence",
};

export function statusLabel(rdv) {
  return STATUS_LABELS[rdv.display_status || rdv.status] || rdv.status;
}

export function describeRecurrence(rec) {
  if (!rec) return "Exceptionnelle (une seule fois)";
  const until = rec.until ? ` jusqu'au ${fmtDay(rec.until)}` : ", sans date de fin";
  const every = rec.interval > 1 ? `toutes les ${rec.interval} ${rec.every === "month" ? "mois" : "semaines"}` :
    (rec.every === "month" ? "tous les mois" : "toutes les semaines");
  if (rec.every === "month") {
    const [day, n] = Object.entries(rec.on || {})[0] || ["", 1];
    const label = (WEEKDAYS.find(([k]) => k === day) || ["", day])[1];
    const rank = n === -1 ? "dernier" : n === 1 ? "1er" : `${n}e`;
    return `Permanente : le ${rank} ${label}, ${every}${until}`;
  }
  const days = (rec.on || []).map((d) => (WEEKDAYS.find(([k]) => k === d) || ["", d])[1]).join(", ");
  return `Permanente : ${days}, ${every}${until}`;
}

// A stable colour for a key (e.g. a lieu's id), from a palette readable under white text.
// The DSFR's illustrative "sun" colours.
const PALETTE = ["#37635f", "#6e445a", "#447049", "#845d48", "#a94645", "#2f4077", "#006a6f", "#3558a2"];
export function colorFor(key) {
  let h = 0;
  for (const ch of String(key || "")) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

// ---------------------------------------------------------------- DOM
// el("tag.class#id", {attr: value, onclick: fn}, ...children): builds nodes without innerHTML.
export function el(spec, attrs = {}, ...children) {
  const [, tag, rest] = spec.match(/^([a-z0-9]+)(.*)$/i);
  const node = document.createElement(tag);
  for (const m of rest.matchAll(/([.#])([\w-]+)/g)) {
    if (m[1] === ".") node.classList.add(m[2]);
    else node.id = m[2];
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k in node && typeof v !== "string") node[k] = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  dsfrClasses(node);
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  if (node.tagName === "TABLE") labelCells(node);
  return node;
}

// The UI's short class names also get the DSFR's component classes (buttons, alerts, tables, tags).
const DSFR_BUTTON = { secondary: "fr-btn--secondary", small: "fr-btn--sm", danger: "fr-btn--danger" };
const DSFR_NOTICE = { error: "fr-alert--error", success: "fr-alert--success", info: "fr-alert--info", warning: "fr-alert--warning" };
export function dsfrClasses(node) {
  const cls = node.classList;
  const tag = node.tagName;
  if (tag === "SELECT") cls.add("fr-select");
  else if (tag === "TEXTAREA" || (tag === "INPUT" && !["checkbox", "radio", "hidden"].includes(node.type))) cls.add("fr-input");
  if (cls.contains("button")) {
    cls.add("fr-btn");
    for (const [k, v] of Object.entries(DSFR_BUTTON)) if (cls.contains(k)) cls.add(v);
  } else if (cls.contains("notice") || cls.contains("error-box")) {
    cls.add("fr-alert", "fr-alert--sm", cls.contains("error-box") ? "fr-alert--error" : "fr-alert--info");
    for (const [k, v] of Object.entries(DSFR_NOTICE)) if (cls.contains(k)) { cls.remove("fr-alert--info"); cls.add(v); }
  } else if (cls.contains("link-button")) {
    cls.add("fr-link");
  } else if (cls.contains("field-error")) {
    cls.add("fr-error-text");
  }
  if (cls.contains("table-wrap") && !node.hasAttribute("tabindex")) {
    node.tabIndex = 0; // a table wider than a phone scrolls in its box: by keyboard too
  }
  return node;
}

// On a phone a table's rows show as cards: each cell says its column (data-label, shown by app.css).
function labelCells(table) {
  const heads = [...table.querySelectorAll(":scope > thead > tr > th")].map((th) => th.textContent.trim());
  if (!heads.some(Boolean)) return;
  table.classList.add("stack");
  for (const row of table.querySelectorAll(":scope > tbody > tr")) {
    [...row.children].forEach((cell, i) => { if (heads[i]) cell.dataset.label = heads[i]; });
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

// Show a message in #flash (kind: "success" | "error" | "info" | "warning"); `near`: the element that caused
// it (a form), after which the message shows; without it, the message shows under the page's title.
export function flash(message, kind = "success", { near } = {}) {
  const box = document.getElementById("flash");
  if (!box) return;
  placeFlash(near);
  clear(box).append(el(`div.notice.${kind}`, {}, message));
}

// Move #flash right after `anchor` (or back under the title when no anchor).
export function placeFlash(anchor) {
  const box = document.getElementById("flash");
  if (!box) return box;
  let home = document.getElementById("flash-home");
  if (!home) {
    home = el("span#flash-home", { hidden: true });
    box.before(home);
  }
  if (anchor) anchor.after(box);
  else home.after(box);
  return box;
}

export function clearFlash() {
  const box = document.getElementById("flash");
  if (box) clear(box);
}

// Field messages in plain French: a field's own words when the server's are generic or technical.
const FIELD_WORDS = {
  lieu_id: "Choisissez un lieu.", motif_id: "Choisissez un motif.", motif_ids: "Cochez au moins un motif.",
  agent_id: "Choisissez un agent.", agent_ids: "Cochez au moins un agent.", usager_ids: "Choisissez au moins un usager.",
  service_id: "Choisissez un service.", service_ids: "Cochez au moins un service.", status: "Choisissez un statut.",
  title: "Indiquez un titre.", name: "Indiquez un nom.", short_name: "Indiquez un nom court.",
  first_name: "Indiquez le prénom.", last_name: "Indiquez le nom.", address: "Indiquez une adresse.",
  first_day: "Indiquez le premier jour.", end_day: "Indiquez le dernier jour.", until: "Indiquez la date de fin de la répétition.",
  start_time: "Indiquez l'heure de début.", end_time: "Indiquez l'heure de fin.", starts_at: "Indiquez le jour et l'heure.",
  day: "Indiquez un jour.", time: "Indiquez une heure.", from: "Indiquez la date de début.", to: "Indiquez la date de fin.",
  on: "Cochez au moins un jour.", interval: "Indiquez un nombre de semaines ou de mois.",
  birth_date: "Indiquez une date de naissance valide (jour, mois, année).",
  email: "Indiquez une adresse e-mail valide, par exemple nom@exemple.fr.",
  phone: "Indiquez un numéro de téléphone valide, par exemple 06 12 34 56 78.",
  duration_minutes: "Indiquez une durée en minutes.", password: "Indiquez un mot de passe.",
  role: "Choisissez un rôle.", location_type: "Choisissez un type de lieu.", timezone: "Choisissez un fuseau horaire.",
};
// Wordings that say nothing about the field, or in technical words (formats, identifiers).
const GENERIC = /obligatoire|Renseignez ce champ|UUID|identifiant|AAAA|ISO 8601|HH:MM|décalage|trop courte|Texte trop court|Valeur invalide|n'est pas valide\.$|invalide\.$|non autorisée|liste est attendue|chaîne de caractères|Choisissez un élément|Choisissez au moins un élément|un ou plusieurs éléments|Choisissez une des valeurs/i;

export function plainFieldMessage(name, message) {
  const text = String(Array.isArray(message) ? message.join(" ") : message);
  const key = String(name).split(".").filter((p) => !/^\d+$/.test(p)).pop();
  return FIELD_WORDS[key] && GENERIC.test(text) ? FIELD_WORDS[key] : text;
}

// The label of a field as the agent reads it (its <label>, or its group's <legend>).
function fieldLabel(input) {
  const group = input.type === "checkbox" || input.type === "radio" ? input.closest("fieldset") : null;
  const text = group ? group.querySelector("legend")?.textContent : input.labels?.[0]?.textContent;
  return (text || "").replace(/\(.*?\)/g, "").trim();
}

// Show an ApiError on a form: the message on top, each field's message under its input (aria-invalid), all at once.
export function showFormError(form, err) {
  clearFormError(form);
  const box = form.querySelector(".error-box");
  let message = err instanceof ApiError || err instanceof Error ? err.message : String(err);
  const fields = err instanceof ApiError ? err.fields : {};
  const entries = Object.entries(fields);
  const generic = err instanceof ApiError && err.code === "validation_error" && /ne sont pas valides/.test(message);
  if (generic && entries.length) {
    message = entries.length > 1 ? `${entries.length} champs sont à corriger :` : "Un champ est à corriger :";
  }
  if (box) {
    box.hidden = false;
    box.textContent = message;
  } else {
    flash(message, "error", { near: form });
  }
  let first = null;
  const summary = [];
  for (const [name, msg] of entries) {
    const text = plainFieldMessage(name, msg);
    const key = name.split(".").pop();
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`) || form.querySelector(`[name="${CSS.escape(key)}"]`);
    if (!input) {
      summary.push(text);
      continue;
    }
    const label = fieldLabel(input);
    if (generic) summary.push(label ? `${label} : ${text}` : text);
    const group = input.type === "checkbox" || input.type === "radio" ? input.closest("fieldset") : null;
    const target = group || input;
    if (target.hasAttribute("aria-invalid")) continue; // one message per field
    target.setAttribute("aria-invalid", "true");
    const id = `${input.id || input.name}-erreur`;
    target.setAttribute("aria-describedby", id);
    const holder = group || input.closest(".field") || input.parentElement;
    holder.append(el("p.field-error", { id }, text));
    first = first || input;
  }
  if (box && summary.length) box.append(el("ul", {}, summary.map((t) => el("li", {}, t))));
  (first || box)?.focus?.();
}

// Every required field left empty, all at once (before asking the server): true when there was one.
export function checkRequired(form) {
  const fields = {};
  for (const input of form.querySelectorAll("[required]")) {
    if (input.disabled || input.closest("[hidden]") || !input.name || String(input.value).trim()) continue;
    fields[input.name] = FIELD_WORDS[input.name] || "Ce champ est obligatoire.";
  }
  if (!Object.keys(fields).length) return false;
  showFormError(form, new ApiError(422, { error: { code: "validation_error",
    message: "Les données envoyées ne sont pas valides.", details: { fields } } }));
  return true;
}

export function clearFormError(form) {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((e) => {
    e.removeAttribute("aria-invalid");
    e.removeAttribute("aria-describedby");
  });
  const box = form.querySelector(".error-box");
  if (box) {
    box.hidden = true;
    box.textContent = "";
  }
}

// Form values as an object (checkbox groups with the same name become arrays when data-multi).
export function formValues(form) {
  const out = {};
  for (const input of form.elements) {
    if (!input.name || input.disabled) continue;
    if (input.type === "checkbox") {
      if (input.dataset.multi !== undefined) {
        out[input.name] = out[input.name] || [];
        if (input.checked) out[input.name].push(input.value);
      } else out[input.name] = input.checked;
    } else if (input.type === "radio") {
      if (input.checked) out[input.name] = input.value;
    } else if (input.tagName === "SELECT" && input.multiple) {
      out[input.name] = [...input.selectedOptions].map((o) => o.value);
    } else out[input.name] = input.value;
  }
  return out;
}

export function options(select, items, { value = (x) => x.id, label = (x) => x.name, empty } = {}) {
  clear(select);
  if (empty !== undefined) select.append(el("option", { value: "" }, empty));
  for (const item of items) select.append(el("option", { value: value(item) }, label(item)));
}

export function debounce(fn, ms = 250) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// Run a page's main(agent) after the layout; report any failure in #flash.
export async function run(main) {
  try {
    const agent = await initLayout();
    await main(agent);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    flash(e.message || String(e), "error");
  } finally {
    markReady();
  }
}

// The page's script has loaded its data and wired its forms (see the guard in base.html).
export function markReady() {
  document.body.dataset.ready = "true";
}

// Index a list by id.
export function byId(items) {
  return Object.fromEntries((items || []).map((x) => [x.id, x]));
}

// "+33612345678" -> "06 12 34 56 78" (French numbers); other numbers unchanged.
export function fmtPhone(phone) {
  if (!phone) return "";
  const m = /^\+33(\d{9})$/.exec(phone);
  if (!m) return phone;
  return ("0" + m[1]).replace(/(\d{2})(?=\d)/g, "$1 ");
}
