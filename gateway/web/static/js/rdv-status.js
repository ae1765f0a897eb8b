// An RDV's status actions: exactly the RDV's `allowed_statuses`; a cancellation asks who cancels and confirms.
import { api, el, fmtDateTime, dayOf } from "/static/js/app.js";
import { confirmAction } from "/static/js/dialogs.js";
import { currentNow, usagerNotice } from "/static/js/notify.js";

// The agents' guide's words.
export const OUTCOME_LABELS = { seen: "Rendez-vous honoré", noshow: "Absence non excusée" };
export const CANCEL_REASONS = [
  ["excused", "À la demande de l'usager"],
  ["revoked", "Par le service"],
];

// The statuses the server would accept now (the RDV's own list; computed the same way when absent).
export function allowedStatuses(rdv, tz) {
  if (Array.isArray(rdv.allowed_statuses)) return rdv.allowed_statuses;
  if (rdv.status !== "unknown") return ["unknown"];
  const dayHasCome = dayOf(rdv.starts_at, tz) <= dayOf(currentNow(), tz);
  return dayHasCome ? ["seen", "noshow", "excused", "revoked"] : ["excused", "revoked"];
}

function resetLabel(rdv, tz) {
  return dayOf(rdv.starts_at, tz) <= dayOf(currentNow(), tz) ? "Remettre « À renseigner »" : "Remettre « À venir »";
}

const post = (rdv, status) => api("POST", `/rdvs/${rdv.id}/status`, { status });

// Buttons for the RDV's allowed statuses. onDone(updated) after a change; onError(err) when a direct change fails.
export function statusButtons(rdv, { usagers = {}, tz, onDone, onError, small = false } = {}) {
  const cls = small ? ".small" : "";
  const allowed = allowedStatuses(rdv, tz);
  const when = fmtDateTime(rdv.starts_at, tz);
  const buttons = [];
  const direct = (status, label, kind) => el(`button.button.${kind}${cls}`, {
    type: "button", dataset: { status }, "aria-label": small ? `${label} : RDV du ${when}` : null,
    onclick: async (ev) => {
      const button = ev.currentTarget;
      button.disabled = true;
      try {
        onDone && onDone(await post(rdv, status));
      } catch (e) {
        button.disabled = false;
        onError && onError(e);
      }
    },
  }, label);
  for (const status of ["seen", "noshow"]) {
    if (allowed.includes(status)) buttons.push(direct(status, OUTCOME_LABELS[status], status === "seen" ? "success" : "danger"));
  }
  if (allowed.includes("excused") || allowed.includes("revoked")) {
    buttons.push(el(`button.button.secondary${cls}`, {
      type: "button", dataset: { action: "cancel" }, "aria-haspopup": "dialog",
      "aria-label": small ? `Annuler le RDV du ${when}` : null,
      onclick: async () => {
        const updated = await cancelRdv(rdv, { usagers, tz, allowed });
        if (updated && onDone) onDone(updated);
      },
    }, "Annuler le RDV"));
  }
  if (allowed.includes("unknown")) {
    const label = resetLabel(rdv, tz);
    if (["excused", "revoked"].includes(rdv.status)) {
      // Back from a cancellation: the usager is told again (a confirmation), so ask first.
      buttons.push(el(`button.button.secondary${cls}`, {
        type: "button", dataset: { status: "unknown" }, "aria-label": small ? `${label} : RDV du ${when}` : null,
        onclick: async () => {
          const notice = usagerNotice(rdv, usagers, { what: "que son rendez-vous est rétabli" });
          const updated = await confirmAction({
            title: "Rétablir ce rendez-vous ?",
            lines: [`Le RDV du ${when} redevient actif.`, el("p.notice.info", {}, notice.text)],
            confirmLabel: "Rétablir le RDV", cancelLabel: "Ne rien changer",
            action: () => post(rdv, "unknown"),
          });
          if (updated && onDone) onDone(updated);
        },
      }, label));
    } else {
      buttons.push(direct("unknown", label, "secondary"));
    }
  }
  return buttons;
}

// Ask who cancels (the reasons the RDV allows) and confirm, saying whether the usager will be told.
// Resolves with the updated RDV, or null when the agent declines.
export function cancelRdv(rdv, { usagers = {}, tz, allowed = allowedStatuses(rdv, tz) } = {}) {
  const reasons = CANCEL_REASONS.filter(([s]) => allowed.includes(s));
  const name = `cancel-reason-${rdv.id}`;
  const radios = reasons.map(([status, label]) => {
    const id = `${name}-${status}`;
    return el("label", { for: id }, el("input", { type: "radio", id, name, value: status }), label);
  });
  const fieldset = el("fieldset", {}, el("legend", {}, "Qui annule ce rendez-vous ?"), el("div.checks", {}, radios));
  const notice = usagerNotice(rdv, usagers, { what: "de l'annulation" });
  return confirmAction({
    title: "Annuler le rendez-vous",
    lines: [`RDV du ${fmtDateTime(rdv.starts_at, tz)}.`],
    content: [fieldset, el("p.notice.info", {}, notice.text)],
    confirmLabel: "Confirmer l'annulation", cancelLabel: "Ne pas annuler", danger: true,
    action: async () => {
      const chosen = fieldset.querySelector("input:checked");
      if (!chosen) {
        const err = new Error("Choisissez qui annule le rendez-vous.");
        err.field = true;
        throw err;
      }
      return post(rdv, chosen.value);
    },
    onError: (err, handle) => {
      if (!err.field) return false;
      fieldset.querySelector(".field-error")?.remove();
      fieldset.append(el("p.field-error", { id: `${name}-error` }, err.message));
      fieldset.setAttribute("aria-describedby", `${name}-error`);
      fieldset.querySelector("input").focus();
      return true;
    },
  });
}
