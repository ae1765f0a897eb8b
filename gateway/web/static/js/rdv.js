// An RDV's details and status buttons (agenda dialog, lists).
import { api, el, clear, fmtDateTime, fmtTime, statusLabel, STATUS_COLORS, fullName } from "/static/js/app.js";

export const STATUS_ACTIONS = [
  ["seen", "Honoré", "success"],
  ["noshow", "Absence non excusée", "danger"],
  ["revoked", "Annulé", "secondary"],
  ["unknown", "Remettre « À venir »", "secondary"],
];

export function statusBadge(rdv) {
  const key = rdv.display_status || rdv.status;
  return el("span.badge", { style: `background:${STATUS_COLORS[key] || "#555"}` }, statusLabel(rdv));
}

// Buttons that POST /rdvs/{id}/status; onDone(rdv) after a change, onError(err).
export function statusButtons(rdv, { onDone, onError, small = false } = {}) {
  const cls = small ? ".small" : "";
  // Honoré / absence non excusée only once the RDV's day has come (display status no longer "à venir").
  const dayHasCome = (rdv.display_status || "") !== "a_venir";
  return STATUS_ACTIONS.filter(([s]) => s !== rdv.status).filter(([s]) => s !== "unknown" || rdv.status !== "unknown")
    .filter(([s]) => dayHasCome || !["seen", "noshow"].includes(s))
    .map(([status, label, kind]) => el(`button.button.${kind}${cls}`, {
      type: "button", dataset: { status },
      onclick: async (ev) => {
        ev.target.disabled = true;
        try {
          const updated = await api("POST", `/rdvs/${rdv.id}/status`, { status });
          onDone && onDone(updated);
        } catch (e) {
          ev.target.disabled = false;
          onError && onError(e);
        }
      },
    }, label));
}

// <dl> rows describing an RDV; names come from the lookups (motifs, lieux, agents by id).
export function rdvDetails(rdv, { motifs = {}, lieux = {}, agents = {}, usagers = {}, tz }) {
  const rows = [
    ["Date", fmtDateTime(rdv.starts_at, tz) + (rdv.ends_at ? ` – ${fmtTime(rdv.ends_at, tz)}` : "")],
    ["Motif", (motifs[rdv.motif_id] || {}).name || "—"],
    ["Lieu", rdv.lieu_id ? (lieux[rdv.lieu_id] || {}).name || "—" : "—"],
    ["Agent(s)", (rdv.agent_ids || []).map((id) => fullName(agents[id]) || "agent").join(", ") || "—"],
    ["Usager(s)", (rdv.usager_ids || []).length
      ? rdv.usager_ids.flatMap((id, i) => [i ? ", " : null,
        usagers[id] ? el("a", { href: `/usagers/${id}` }, fullName(usagers[id])) : "usager"]).filter(Boolean)
      : "—"],
    ["Statut", statusBadge(rdv)],
  ];
  if (rdv.context) rows.push(["Contexte", rdv.context]);
  return rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]);
}

export async function loadUsagers(ids, cache = {}) {
  await Promise.all(ids.filter((id) => !cache[id]).map(async (id) => {
    try {
      const fiche = await api("GET", `/usagers/${id}`);
      cache[id] = fiche.usager || fiche;
    } catch (e) { /* unknown or anonymised */ }
  }));
  return cache;
}
