// Who will be told of a change: the wording shown before an agent confirms a move or a cancellation,
// and the list of the notifications sent for an RDV.
import { api, el, serverNow, fullName, fmtDateTime } from "/static/js/app.js";

// The system's clock keeps running from serverNow() (RDV_NOW in dev/test): anchor it to the browser's.
let anchor = null;
export async function initClock() {
  const server = await serverNow();
  if (!anchor) anchor = { server: server.getTime(), local: Date.now() };
}
export function currentNow() {
  return anchor ? new Date(anchor.server + (Date.now() - anchor.local)) : new Date();
}

// The channels through which an usager is reached ("SMS", "e-mail"), from their fiche.
export function channelsOf(u) {
  if (!u) return [];
  const out = [];
  if (u.notify_by_sms && (u.effective_phone || u.phone)) out.push("SMS");
  if (u.notify_by_email && (u.effective_email || u.email)) out.push("e-mail");
  return out;
}

// {notifies, text}: will the RDV's usagers be told of a change that takes effect for an RDV starting at `startsAt`?
// (Notifications only go for an RDV that has not started, to usagers who accept SMS or e-mail.)
export function usagerNotice(rdv, usagers, { startsAt = rdv.starts_at, what = "du changement" } = {}) {
  const ids = rdv.usager_ids || [];
  if (!ids.length) return { notifies: false, text: "Aucun usager n'est associé à ce RDV : personne ne sera prévenu." };
  if (new Date(startsAt) <= currentNow()) {
    return { notifies: false, text: "Ce RDV est passé : l'usager ne sera pas prévenu." };
  }
  const told = [];
  const silent = [];
  for (const id of ids) {
    const u = usagers[id];
    if (!u) {
      // Fiche not readable here: say what the system does rather than guess "not told".
      return { notifies: true, text: `L'usager sera prévenu ${what} selon ses préférences (SMS, e-mail).` };
    }
    const channels = channelsOf(u);
    if (channels.length) told.push(`${fullName(u) || "l'usager"} par ${channels.join(" et ")}`);
    else silent.push(fullName(u) || "l'usager");
  }
  if (!told.length) {
    return { notifies: false,
      text: "L'usager ne sera pas prévenu : aucune notification par SMS ni par e-mail n'est activée sur sa fiche." };
  }
  let text = `L'usager sera prévenu ${what} : ${told.join(", ")}.`;
  if (silent.length) text += ` ${silent.join(", ")} ne sera pas prévenu(e) (aucune notification activée).`;
  return { notifies: true, text };
}

const CHANNELS = { sms: "SMS", email: "E-mail" };
const KINDS = { confirmation: "Confirmation", change: "Modification", cancellation: "Annulation", reminder: "Rappel" };
const STATES = { pending: "En attente", sent: "Envoyée", failed: "Échec" };

// A section listing the notifications sent for an RDV (loaded now; "Chargement…" meanwhile).
export function notificationsSection(rdv, tz) {
  const id = `notifs-${rdv.id}`;
  const holder = el("div", { "aria-live": "polite" }, el("p.muted.small", {}, "Chargement des notifications…"));
  const section = el("section.notifications", { "aria-labelledby": id },
    el("h3", { id }, "Notifications envoyées"), holder);
  api("GET", `/rdvs/${rdv.id}/notifications`).then((items) => {
    holder.replaceChildren();
    if (!items || !items.length) {
      holder.append(el("p.empty", {}, "Aucune notification pour ce rendez-vous."));
      return;
    }
    holder.append(el("div.table-wrap", {}, el("table.compact", {},
      el("caption.visually-hidden", {}, "Notifications du rendez-vous"),
      el("thead", {}, el("tr", {}, ["Canal", "Type", "Destinataire", "État", "Envoyée le"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, items.map((n) => el("tr", {},
        el("td", {}, CHANNELS[n.channel] || n.channel),
        el("td", {}, KINDS[n.kind] || n.kind),
        el("td", {}, n.recipient || "—"),
        el("td", {}, STATES[n.status] || n.status),
        el("td", {}, n.sent_at ? fmtDateTime(n.sent_at, tz) : "—")))))));
  }).catch((e) => {
    holder.replaceChildren(el("p.field-error", {}, `Notifications indisponibles : ${e.message}`));
  });
  return section;
}
