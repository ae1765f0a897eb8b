// An RDV's details, status badge and usagers (agenda dialog, lists, fiche).
import { api, el, fmtDateTime, fmtTime, statusLabel, fullName } from "/static/js/app.js";

// The DSFR's badges: info, warning, success, error, or neutral for the cancelled.
const BADGES = { a_venir: "info", unknown: "info", a_renseigner: "warning", seen: "success", noshow: "error" };
export function statusBadge(rdv) {
  const key = rdv.display_status || rdv.status;
  const variant = BADGES[key] ? `.fr-badge--${BADGES[key]}` : "";
  return el(`span.badge.fr-badge.fr-badge--sm${variant}`, { dataset: { status: key } }, statusLabel(rdv));
}

// <dl> rows describing an RDV; names come from the lookups (motifs, lieux, agents by id).
export function rdvDetails(rdv, { motifs = {}, lieux = {}, agents = {}, usagers = {}, tz }) {
  const rows = [
    ["Date", fmtDateTime(rdv.starts_at, tz) + (rdv.ends_at ? ` – ${fmtTime(rdv.ends_at, tz)}` : "")
      + (rdv.ends_at ? ` (${Math.round((new Date(rdv.ends_at) - new Date(rdv.starts_at)) / 60000)} min)` : "")],
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
