// Create an RDV at a chosen time (a click on the agenda, or "Nouveau RDV"): a walk-in, a home visit, an RDV
// recorded after the fact. What the agenda says of that time (outside every plage, absence, holiday, past) is
// shown before creating; the agent may then place it anyway (allow_outside_opening).
import {
  api, el, clear, fullName, fmtDay, fmtPhone, formValues, showFormError, clearFormError, toInstant, debounce,
  LOCATION_TYPES,
} from "/static/js/app.js";
import { openDialog } from "/static/js/dialogs.js";
import { OVERRIDABLE, showFieldError } from "/static/js/rdv-edit.js";
import { usagerNotice, currentNow } from "/static/js/notify.js";

const OVERRIDE_DETAILS = ["outside_opening", "absence", "holiday"];

// init: {day, time, duration (minutes, optional), agentId, lieuId, motifId}; ctx: {me, tz, agents, motifs, lieux}.
// Resolves with the created RDV (with its `warnings`), or null.
export function createRdv(init, { me, tz, agents, motifs, lieux }) {
  return new Promise((resolve) => {
    let created = null;
    let allow = false;
    let usager = null;
    const usagers = {};
    const id = (n) => `create-${n}`;
    const field = (label, input, hint) => el("div.field", {}, el("label", { for: input.id }, label,
      hint ? el("span.hint", {}, ` ${hint}`) : null), input);

    // Motifs of the caller's services first (as « Trouver un RDV »).
    const motif = el("select", { id: id("motif"), name: "motif_id", required: true });
    const mine = motifs.filter((m) => (me.service_ids || []).includes(m.service_id));
    const others = motifs.filter((m) => !mine.includes(m));
    motif.append(el("option", { value: "" }, "— Choisir un motif —"));
    const label = (m) => `${m.name} (${m.duration_minutes} min, ${LOCATION_TYPES[m.location_type] || ""})`;
    for (const [title, list] of (mine.length && others.length ? [["Motifs de mes services", mine], ["Autres motifs", others]] : [[null, motifs]])) {
      const opts = list.map((m) => el("option", { value: m.id }, label(m)));
      if (title) motif.append(el("optgroup", { label: title }, opts)); else motif.append(...opts);
    }
    if (init.motifId && motifs.some((m) => m.id === init.motifId)) motif.value = init.motifId;
    else if (mine.length === 1) motif.value = mine[0].id;

    const agent = el("select", { id: id("agent"), name: "agent_id", required: true },
      agents.map((a) => el("option", { value: a.id }, a.id === me.id ? `${fullName(a)} (moi)` : fullName(a))));
    agent.value = init.agentId || me.id;
    const lieu = el("select", { id: id("lieu"), name: "lieu_id" }, el("option", { value: "" }, "Sans lieu (à domicile, par téléphone…)"),
      lieux.map((l) => el("option", { value: l.id }, l.name)));
    lieu.value = init.lieuId || (lieux.length === 1 ? lieux[0].id : "");
    const duration = el("input", { id: id("duration"), name: "duration_minutes", type: "number", min: "5", max: "480", step: "5",
      required: true, value: String(init.duration || "") });
    const byId = Object.fromEntries(motifs.map((m) => [m.id, m]));
    const syncDuration = () => {
      if (!init.duration && byId[motif.value]) duration.value = String(byId[motif.value].duration_minutes);
    };
    syncDuration();

    // The usager: search the organisation, or create one here.
    const query = el("input", { id: id("usager-q"), type: "search", autocomplete: "off", "aria-controls": id("usager-results") });
    const results = el("ul.results-list", { id: id("usager-results"), "aria-label": "Usagers trouvés" });
    const chosen = el("p.notice.info", { id: id("usager-chosen"), hidden: true, "aria-live": "polite" });
    const newBox = el("div.card.new-usager", { id: id("new-usager"), hidden: true },
      el("div.row", {},
        field("Prénom", el("input", { id: id("u-first"), type: "text", autocomplete: "off" })),
        field("Nom", el("input", { id: id("u-last"), type: "text", autocomplete: "off" }))),
      el("div.row", {},
        field("Téléphone", el("input", { id: id("u-phone"), type: "tel", autocomplete: "off" }), "(pour les SMS)"),
        field("E-mail", el("input", { id: id("u-email"), type: "email", autocomplete: "off" }))),
      el("div.checks", {},
        el("label", { for: id("u-sms") }, el("input", { type: "checkbox", id: id("u-sms"), checked: true }), "Prévenir par SMS"),
        el("label", { for: id("u-mail") }, el("input", { type: "checkbox", id: id("u-mail"), checked: true }), "Prévenir par e-mail")),
      el("div.error-box.usager-error", { role: "alert", tabindex: "-1", hidden: true }),
      el("button.button.secondary", { type: "button", onclick: () => createUsager() }, "Créer l'usager"));
    const toggleNew = el("button.button.secondary.small", { type: "button", "aria-expanded": "false", "aria-controls": newBox.id,
      onclick: () => {
        newBox.hidden = !newBox.hidden;
        toggleNew.setAttribute("aria-expanded", String(!newBox.hidden));
        if (!newBox.hidden) {
          const words = query.value.trim().split(/\s+/);
          if (words.length >= 2 && !newBox.querySelector(`#${id("u-first")}`).value) {
            newBox.querySelector(`#${id("u-first")}`).value = words[0];
            newBox.querySelector(`#${id("u-last")}`).value = words.slice(1).join(" ");
          }
          newBox.querySelector("input").focus();
        }
      } }, "Créer un usager");
    const usagerSet = el("fieldset", { id: id("usager-fieldset") }, el("legend", {}, "Usager"),
      field("Rechercher un usager", query, "(nom, téléphone ou e-mail)"), results, chosen, toggleNew, newBox);

    const check = el("div.precheck", { "aria-live": "polite" });
    const notice = el("p.notice.info", { hidden: true });
    const submit = el("button.button", { type: "submit", form: id("form") }, "Créer le RDV");
    const form = el("form.rdv-create", { id: id("form"), novalidate: true },
      el("div.error-box", { role: "alert", tabindex: "-1", hidden: true }),
      el("div.row", {},
        field("Jour", el("input", { id: id("day"), name: "day", type: "date", required: true, value: init.day })),
        field("Heure", el("input", { id: id("time"), name: "time", type: "time", required: true, step: "300", value: init.time })),
        field("Durée", duration, "(minutes)")),
      el("div.row", {}, field("Motif", motif), field("Agent", agent)),
      field("Lieu", lieu),
      check,
      usagerSet,
      field("Contexte", el("textarea", { id: id("context"), name: "context" }), "(facultatif, visible des agents)"),
      notice);
    // The buttons sit in the dialog's footer, the submit one tied to the form by its `form` attribute.
    const handle = openDialog({ title: "Nouveau rendez-vous", content: [form], className: "wide", errorBox: false,
      actions: [submit, el("button.button.secondary", { type: "button", onclick: () => handle.close() }, "Fermer sans créer")],
      onClose: () => resolve(created) });
    (motif.value ? query : motif).autofocus = true; // focused once the dialog shows

    // ---------------------------------------------------------- what the agenda says of this time
    let checkSeq = 0;
    const precheck = debounce(async () => {
      const v = formValues(form);
      const seq = ++checkSeq;
      allow = false;
      submit.textContent = "Créer le RDV";
      clear(check);
      if (!v.motif_id || !v.day || !v.time || !v.agent_id) return;
      const startsAt = toInstant(v.day, v.time, tz);
      let res;
      try {
        res = await api("GET", "/creneaux/explain", undefined, { query: { agent_id: v.agent_id, motif_id: v.motif_id, starts_at: startsAt } });
      } catch (e) {
        if (seq === checkSeq) check.append(el("p.muted.small", {}, `Vérification de l'horaire impossible : ${e.message}`));
        return;
      }
      if (seq !== checkSeq) return;
      const details = res.details || [];
      const past = new Date(startsAt) <= currentNow();
      const blocking = details.filter((d) => OVERRIDE_DETAILS.includes(d.code));
      const busy = details.filter((d) => d.code === "rdv");
      if (past) {
        check.append(el("p.notice.info", {}, `RDV passé (${fmtDay(v.day)}) : il sera enregistré « À renseigner » et l'usager ne sera pas prévenu.`));
      }
      if (blocking.length) {
        allow = true;
        submit.textContent = "Créer le RDV quand même";
        check.append(el("div.notice.warning.outside-warning", {}, el("strong", {}, "Cet horaire n'est pas ouvert à la réservation : "),
          el("ul.warnings", {}, blocking.map((d) => el("li", {}, d.message))),
          el("p", {}, "Vous pouvez créer ce RDV quand même (accueil sans rendez-vous, visite à domicile, RDV à enregistrer après coup).")));
      }
      if (busy.length) check.append(el("p.notice.error", {}, "Un autre rendez-vous de l'agent occupe cet horaire."));
      if (!past && !blocking.length && !busy.length) check.append(el("p.notice.success", {}, "Horaire libre, dans une plage d'ouverture."));
    }, 200);
    const refreshNotice = () => {
      const v = formValues(form);
      if (!usager || !v.day || !v.time) { notice.hidden = true; return; }
      notice.hidden = false;
      notice.textContent = usagerNotice({ usager_ids: [usager.id], starts_at: toInstant(v.day, v.time, tz) }, usagers,
        { what: "de ce rendez-vous" }).text;
    };
    for (const input of [motif, agent, form.querySelector(`#${id("day")}`), form.querySelector(`#${id("time")}`)]) {
      input.addEventListener("change", () => { precheck(); refreshNotice(); });
    }
    motif.addEventListener("change", syncDuration);
    precheck();

    // ---------------------------------------------------------- usager search / creation
    const describe = (u) => [fullName(u), u.birth_date ? `né(e) le ${fmtDay(u.birth_date)}` : null, fmtPhone(u.phone), u.email].filter(Boolean).join(" — ");
    function choose(u) {
      usager = u;
      usagers[u.id] = u;
      clear(results);
      clear(chosen).append("Usager : ", el("strong", {}, describe(u)), " ",
        el("button.link-button", { type: "button", onclick: () => { usager = null; chosen.hidden = true; refreshNotice(); query.focus(); } }, "Changer"));
      chosen.hidden = false;
      newBox.hidden = true;
      toggleNew.setAttribute("aria-expanded", "false");
      usagerSet.removeAttribute("aria-invalid");
      usagerSet.querySelector(".field-error")?.remove();
      refreshNotice();
    }
    query.addEventListener("input", debounce(async () => {
      const text = query.value.trim();
      clear(results);
      if (text.length < 2) return;
      try {
        const data = await api("GET", "/usagers", undefined, { query: { q: text, scope: "organisation", per_page: 10 } });
        const items = data.items || [];
        if (!items.length) results.append(el("li.empty", {}, "Aucun usager trouvé. Vous pouvez le créer."));
        for (const u of items) results.append(el("li", {}, el("button", { type: "button", onclick: () => choose(u) }, describe(u))));
      } catch (e) {
        results.append(el("li.field-error", {}, e.message));
      }
    }, 250));
    async function createUsager() {
      const box = newBox.querySelector(".usager-error");
      box.hidden = true;
      const val = (n) => newBox.querySelector(`#${id(n)}`).value.trim();
      const body = { first_name: val("u-first"), last_name: val("u-last"),
        notify_by_sms: newBox.querySelector(`#${id("u-sms")}`).checked, notify_by_email: newBox.querySelector(`#${id("u-mail")}`).checked };
      if (val("u-phone")) body.phone = val("u-phone");
      if (val("u-email")) body.email = val("u-email");
      try {
        choose(await api("POST", "/usagers", body));
      } catch (e) {
        box.hidden = false;
        box.textContent = e.message;
        const fields = e.fields || {};
        box.append(...Object.entries(fields).map(([k, m]) => el("div", {}, `${{ first_name: "Prénom", last_name: "Nom", phone: "Téléphone", email: "E-mail" }[k] || k} : ${m}`)));
        box.focus();
      }
    }

    // ---------------------------------------------------------- create
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFormError(form);
      const v = formValues(form);
      if (!v.day || !v.time) return showFieldError(form, "time", "Indiquez un jour et une heure.");
      if (!v.motif_id) return showFieldError(form, "motif_id", "Choisissez un motif.");
      const minutes = Number(v.duration_minutes);
      if (!Number.isInteger(minutes) || minutes < 5 || minutes > 480) {
        return showFieldError(form, "duration_minutes", "La durée doit être un nombre de minutes entre 5 et 480.");
      }
      if (!usager) {
        const box = form.querySelector(".error-box");
        box.hidden = false;
        box.textContent = "Choisissez ou créez l'usager du rendez-vous.";
        usagerSet.setAttribute("aria-invalid", "true");
        usagerSet.querySelector(".field-error")?.remove();
        usagerSet.append(el("p.field-error", {}, "Choisissez ou créez l'usager du rendez-vous."));
        query.focus();
        return;
      }
      const body = { motif_id: v.motif_id, lieu_id: v.lieu_id || null, agent_ids: [v.agent_id], usager_ids: [usager.id],
        starts_at: toInstant(v.day, v.time, tz), duration_minutes: minutes };
      if (v.context && v.context.trim()) body.context = v.context.trim();
      if (allow) body.allow_outside_opening = true;
      submit.disabled = true;
      try {
        created = await api("POST", "/rdvs", body);
        handle.close();
      } catch (e) {
        showFormError(form, e);
        if (OVERRIDABLE.includes(e.code)) {
          allow = true;
          submit.textContent = "Créer le RDV quand même";
          form.querySelector(".error-box").append(el("p", {},
            "Vous pouvez le créer quand même (accueil sans rendez-vous, visite à domicile…) : « Créer le RDV quand même »."));
        } else if (e.code === "slot_taken") {
          showFieldError(form, "time", "Un autre rendez-vous de l'agent occupe cet horaire.", false);
        }
      } finally {
        submit.disabled = false;
      }
    });
  });
}
