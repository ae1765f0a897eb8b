// Change an RDV: move it (drag in the agenda, or the form), change its duration, agents, lieu or context.
// Anything that tells the usager (a new time or lieu of a future RDV) is confirmed first.
import {
  api, el, fmtDateTime, fmtTime, fullName, wallClock, toInstant, options, formValues, showFormError, clearFormError,
} from "/static/js/app.js";
import { openDialog, confirmAction } from "/static/js/dialogs.js";
import { usagerNotice } from "/static/js/notify.js";

// Refusals an agent may override (a walk-in, a home visit, an RDV recorded after the fact).
export const OVERRIDABLE = ["outside_opening", "agent_absent", "holiday"];
export const WARNING_TEXTS = {
  outside_opening: "en dehors des plages d'ouverture de l'agent",
  agent_absent: "pendant une indisponibilité de l'agent",
  holiday: "un jour férié",
};

export function warningsText(warnings) {
  const parts = (warnings || []).map((w) => WARNING_TEXTS[w.code || w] || w.message || String(w));
  return parts.length ? `Attention : ce rendez-vous est placé ${parts.join(", ")}.` : "";
}

const minutes = (rdv) => Math.round((new Date(rdv.ends_at) - new Date(rdv.starts_at)) / 60000);

// PATCH with the override when the agent has accepted it.
function patch(rdv, body, allow) {
  return api("PATCH", `/rdvs/${rdv.id}`, allow ? { ...body, allow_outside_opening: true } : body);
}

// Move (startsAt) and/or resize (durationMinutes) after a drag in the agenda: ask, naming the old and new
// times and whether the usager is told; the server's refusal shows in the dialog. Resolves with the RDV or null.
export function moveRdv(rdv, { startsAt, durationMinutes }, { usagers = {}, tz }) {
  const body = {};
  const lines = [];
  let title = "Modifier le rendez-vous ?";
  let label = "Enregistrer";
  if (startsAt && new Date(startsAt).getTime() !== new Date(rdv.starts_at).getTime()) {
    body.starts_at = startsAt;
    title = "Déplacer le rendez-vous ?";
    label = "Déplacer le RDV";
    lines.push(el("p", {}, "Ancien horaire : ", el("strong", {}, fmtDateTime(rdv.starts_at, tz))),
      el("p", {}, "Nouvel horaire : ", el("strong", {}, fmtDateTime(startsAt, tz))));
    lines.push(el("p.notice.info", {}, usagerNotice(rdv, usagers, { startsAt, what: "du nouvel horaire" }).text));
  }
  if (durationMinutes && durationMinutes !== minutes(rdv)) {
    body.duration_minutes = durationMinutes;
    lines.push(el("p", {}, `Durée : ${minutes(rdv)} min → `, el("strong", {}, `${durationMinutes} min`),
      startsAt ? "" : ` (fin à ${fmtTime(new Date(new Date(rdv.starts_at).getTime() + durationMinutes * 60000), tz)})`));
    if (!body.starts_at) lines.push(el("p.notice.info", {}, "L'usager n'est pas prévenu d'un changement de durée."));
  }
  if (!Object.keys(body).length) return Promise.resolve(null);
  return confirmAction({
    title, lines, confirmLabel: label, cancelLabel: "Ne rien changer",
    action: (state) => patch(rdv, body, state.allow),
    onError: (err, handle) => overrideOffer(err, handle, "Déplacer quand même"),
  });
}

// On a refusal the agent may override, explain and offer the override on the same button.
function overrideOffer(err, handle, label) {
  if (!OVERRIDABLE.includes(err.code)) return false;
  handle.state.allow = true;
  handle.setConfirmLabel(label);
  handle.showError(err.message, [el("p", {}, `Vous pouvez le faire quand même (accueil sans rendez-vous, visite à domicile…) : « ${label} ».`)]);
  return true;
}

// The "Modifier" form: day, time, duration, agents, lieu, context. Resolves with the updated RDV or null.
export function editRdv(rdv, { agents = [], lieux = [], usagers = {}, tz }) {
  return new Promise((resolve) => {
    let saved = null;
    const wall = wallClock(rdv.starts_at, tz);
    const id = (n) => `edit-${n}`;
    const field = (name, label, input, hint) => el("div.field", {}, el("label", { for: input.id }, label,
      hint ? el("span.hint", {}, ` ${hint}`) : null), input);
    const lieu = el("select", { id: id("lieu"), name: "lieu_id" });
    options(lieu, lieux, { empty: "Sans lieu (à domicile, par téléphone…)" });
    lieu.value = rdv.lieu_id || "";
    const agentBox = el("div.checks.agent-checks", {}, agents.map((a) => el("label", { for: id(`agent-${a.id}`) },
      el("input", { type: "checkbox", id: id(`agent-${a.id}`), name: "agent_ids", value: a.id, "data-multi": true,
        checked: (rdv.agent_ids || []).includes(a.id) }), fullName(a))));
    const notice = el("p.notice.info", { "aria-live": "polite" });
    const submit = el("button.button", { type: "submit", form: id("form") }, "Enregistrer");
    const form = el("form.rdv-edit", { id: id("form"), novalidate: true },
      el("div.error-box", { role: "alert", tabindex: "-1", hidden: true }),
      el("div.row", {},
        field("day", "Jour", el("input", { id: id("day"), name: "day", type: "date", required: true, value: wall.slice(0, 10) })),
        field("time", "Heure", el("input", { id: id("time"), name: "time", type: "time", required: true, step: "300", value: wall.slice(11, 16) })),
        field("duration", "Durée", el("input", { id: id("duration"), name: "duration_minutes", type: "number", min: "5", max: "480", step: "5",
          required: true, value: String(minutes(rdv)) }), "(minutes)")),
      el("fieldset", {}, el("legend", {}, "Agent(s)"), agentBox),
      field("lieu", "Lieu", lieu),
      field("context", "Contexte", el("textarea", { id: id("context"), name: "context" }, rdv.context || ""), "(visible des agents)"),
      notice);
    // The buttons sit in the dialog's footer, the submit one tied to the form by its `form` attribute.
    const handle = openDialog({ title: "Modifier le rendez-vous", content: [form], className: "wide", errorBox: false,
      actions: [submit, el("button.button.secondary", { type: "button", onclick: () => handle.close() }, "Fermer sans enregistrer")],
      onClose: () => resolve(saved) });
    let allow = false;

    const changes = () => {
      const v = formValues(form);
      const body = {};
      if (!v.day || !v.time) return { body, error: ["time", "Indiquez un jour et une heure."] };
      const startsAt = toInstant(v.day, v.time, tz);
      if (new Date(startsAt).getTime() !== new Date(rdv.starts_at).getTime()) body.starts_at = startsAt;
      const duration = Number(v.duration_minutes);
      if (!Number.isInteger(duration) || duration < 5 || duration > 480) {
        return { body, error: ["duration_minutes", "La durée doit être un nombre de minutes entre 5 et 480."] };
      }
      if (duration !== minutes(rdv)) body.duration_minutes = duration;
      const ids = v.agent_ids || [];
      if (!ids.length) return { body, error: ["agent_ids", "Choisissez au moins un agent."] };
      if ([...ids].sort().join() !== [...(rdv.agent_ids || [])].sort().join()) body.agent_ids = ids;
      if ((v.lieu_id || null) !== (rdv.lieu_id || null)) body.lieu_id = v.lieu_id || null;
      if ((v.context || "") !== (rdv.context || "")) body.context = v.context;
      return { body };
    };
    const refreshNotice = () => {
      const { body } = changes();
      if (body.starts_at || "lieu_id" in body) {
        notice.textContent = usagerNotice(rdv, usagers, { startsAt: body.starts_at || rdv.starts_at,
          what: body.starts_at ? "du nouvel horaire" : "du nouveau lieu" }).text;
      } else {
        notice.textContent = "L'usager n'est prévenu que d'un changement d'horaire ou de lieu.";
      }
      allow = false;
      submit.textContent = "Enregistrer";
    };
    form.addEventListener("input", refreshNotice);
    form.addEventListener("change", refreshNotice);
    refreshNotice();

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFormError(form);
      const { body, error } = changes();
      if (error) return showFieldError(form, error[0], error[1]);
      if (!Object.keys(body).length) return showFormError(form, new Error("Aucune modification à enregistrer."));
      const tells = usagerNotice(rdv, usagers, { startsAt: body.starts_at || rdv.starts_at });
      if ((body.starts_at || "lieu_id" in body) && tells.notifies && !allow) {
        const lines = [];
        if (body.starts_at) {
          lines.push(el("p", {}, "Ancien horaire : ", el("strong", {}, fmtDateTime(rdv.starts_at, tz))),
            el("p", {}, "Nouvel horaire : ", el("strong", {}, fmtDateTime(body.starts_at, tz))));
        }
        if ("lieu_id" in body) {
          const name = (x) => (lieux.find((l) => l.id === x) || {}).name || "sans lieu";
          lines.push(el("p", {}, "Lieu : ", name(rdv.lieu_id), " → ", el("strong", {}, name(body.lieu_id))));
        }
        lines.push(el("p.notice.info", {}, tells.text));
        const ok = await confirmAction({ title: "Enregistrer et prévenir l'usager ?", lines,
          confirmLabel: "Enregistrer et prévenir", cancelLabel: "Revenir au formulaire" });
        if (!ok) return;
      }
      submit.disabled = true;
      try {
        saved = await patch(rdv, body, allow);
        handle.close();
      } catch (e) {
        showFormError(form, e);
        if (OVERRIDABLE.includes(e.code)) {
          allow = true;
          submit.textContent = "Enregistrer quand même";
          form.querySelector(".error-box").append(el("p", {},
            "Vous pouvez l'enregistrer quand même (accueil sans rendez-vous, visite à domicile…) : « Enregistrer quand même »."));
          showFieldError(form, "time", "Cet horaire est refusé par l'agenda (voir ci-dessus).", false);
        } else if (e.code === "slot_taken") {
          showFieldError(form, "time", "Un autre rendez-vous de l'agent occupe cet horaire.", false);
        }
      } finally {
        submit.disabled = false;
      }
    });
  });
}

// Put a message under a field (aria-invalid, aria-describedby); also on top when `top`.
export function showFieldError(form, name, message, top = true) {
  const input = form.querySelector(`[name="${name}"]`);
  if (top) {
    const box = form.querySelector(".error-box");
    box.hidden = false;
    box.textContent = message;
  }
  if (!input) return;
  const holder = input.type === "checkbox" ? input.closest("fieldset") : input.closest(".field") || input.parentElement;
  const errId = `${input.id || name}-erreur`;
  holder.querySelector(`#${CSS.escape(errId)}`)?.remove();
  holder.append(el("p.field-error", { id: errId }, message));
  input.setAttribute("aria-invalid", "true");
  input.setAttribute("aria-describedby", errId);
  input.focus();
}
