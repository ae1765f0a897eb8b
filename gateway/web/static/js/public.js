// Public booking journey: motif -> lieu -> créneau -> coordonnées -> confirmation (no authentication).
import { api, markReady, el, clear, flash, clearFlash, showFormError, clearFormError, checkRequired, formValues, fmtDay, fmtTime, fmtDateTime,
  dayOf, today, addDays, LOCATION_TYPES } from "/static/js/app.js";
import { renderSlotGroups } from "/static/js/slots.js";
import { showStep } from "/static/js/stepper.js";

const slug = document.body.dataset.slug;
const tz = document.body.dataset.timezone || "Europe/Paris";
const state = { motif: null, lieu: null, weekStart: null, slot: null };
const call = (method, path, body, query) => api(method, path, body, { redirectOn401: false, query });

const STEPS = ["motif", "lieu", "creneau", "contact", "confirmation"]; // the panels, in the stepper's order

function show(step) {
  document.querySelectorAll("[data-panel]").forEach((p) => (p.hidden = p.dataset.panel !== step));
  showStep(document.getElementById("stepper"), STEPS.indexOf(step) + 1);
  const heading = document.querySelector(`[data-panel="${step}"] h2`) || document.getElementById("step-title");
  heading.setAttribute("tabindex", "-1");
  heading.focus();
}
document.querySelectorAll("[data-back]").forEach((b) => b.addEventListener("click", () => { clearFlash(); show(b.dataset.back); }));

async function main() {
  const cat = await call("GET", `/prendre-rdv/${slug}/catalogue`);
  const lieux = Object.fromEntries(cat.lieux.map((l) => [l.id, l]));
  const start = await today(tz);
  const box = document.getElementById("motifs");
  if (!cat.motifs.length) box.append(el("li.empty", {}, "Aucun motif n'est proposé en ligne pour le moment."));
  for (const m of cat.motifs) {
    box.append(el("li", {}, el("button", { type: "button", onclick: () => chooseMotif(m) },
      el("strong", {}, m.name), el("span.muted", {}, ` — ${m.duration_minutes} min, ${LOCATION_TYPES[m.location_type] || ""}`))));
  }

  async function chooseMotif(m) {
    clearFlash();
    state.motif = m;
    const out = clear(document.getElementById("lieux"));
    out.append(el("p.muted", {}, "Recherche des disponibilités…"));
    show("lieu");
    try {
      const data = await call("GET", `/public/${slug}/creneaux`, undefined, { motif_id: m.id, from: start, to: addDays(start, 55) });
      const firstByLieu = new Map();
      for (const s of data.items || []) if (!firstByLieu.has(s.lieu_id)) firstByLieu.set(s.lieu_id, s);
      const list = clear(document.getElementById("lieux"));
      if (!firstByLieu.size) {
        list.append(el("p.card", {}, "Aucun horaire n'est disponible pour ce motif dans les semaines à venir.",
          data.next_available ? el("span", {}, ` Prochaine disponibilité : ${fmtDateTime(data.next_available, tz)}.`) : null));
        return;
      }
      list.append(el("ul.results-list.card", {}, [...firstByLieu.entries()].map(([id, s]) => {
        const lieu = lieux[id] || { name: "Lieu", address: "" };
        return el("li", {}, el("button", { type: "button", onclick: () => chooseLieu(lieu, dayOf(s.starts_at, tz)) },
          el("strong", {}, lieu.name), el("br"), el("span", {}, lieu.address || ""), el("br"),
          el("span.muted", {}, `Prochaine disponibilité : ${fmtDateTime(s.starts_at, tz)}`)));
      })));
    } catch (e) {
      clear(out);
      flash(e.message, "error");
    }
  }

  async function chooseLieu(lieu, firstDay) {
    state.lieu = lieu;
    state.weekStart = firstDay;
    document.getElementById("creneau-lieu").textContent = `${state.motif.name} — ${lieu.name}, ${lieu.address || ""}`;
    show("creneau");
    await loadWeek();
  }

  async function loadWeek() {
    const from = state.weekStart;
    const to = addDays(from, 6);
    document.getElementById("week-label").textContent = `Du ${fmtDay(from)} au ${fmtDay(to)}`;
    document.getElementById("prev-week").disabled = from <= start;
    const out = clear(document.getElementById("creneaux"));
    out.append(el("p.muted", {}, "Chargement…"));
    try {
      const data = await call("GET", `/public/${slug}/creneaux`, undefined,
        { motif_id: state.motif.id, lieu_id: state.lieu.id, from, to });
      clear(out);
      const byDay = new Map();
      for (const s of data.items || []) {
        const d = dayOf(s.starts_at, tz);
        if (!byDay.has(d)) byDay.set(d, []);
        byDay.get(d).push(s);
      }
      if (!byDay.size) {
        out.append(el("p.card", {}, "Aucun horaire libre cette semaine.",
          data.next_available ? el("button.button.secondary.small", { type: "button", onclick: () => {
            state.weekStart = dayOf(data.next_available, tz);
            loadWeek();
          } }, ` Aller à la prochaine disponibilité (${fmtDay(dayOf(data.next_available, tz))})`) : null));
      }
      renderSlotGroups(out, data.items || [], { tz, onChoose: chooseSlot });
    } catch (e) {
      clear(out);
      flash(e.message, "error");
    }
  }
  document.getElementById("prev-week").addEventListener("click", () => {
    const prev = addDays(state.weekStart, -7);
    state.weekStart = prev < start ? start : prev;
    loadWeek();
  });
  document.getElementById("next-week").addEventListener("click", () => { state.weekStart = addDays(state.weekStart, 7); loadWeek(); });

  function chooseSlot(s) {
    state.slot = s;
    document.getElementById("contact-summary").textContent =
      `${state.motif.name} — ${fmtDateTime(s.starts_at, tz)} — ${state.lieu.name}`;
    show("contact");
  }

  const form = document.getElementById("contact-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormError(form);
    if (checkRequired(form)) return;
    const v = formValues(form);
    const usager = { first_name: v.first_name, last_name: v.last_name, phone: v.phone };
    if (v.email) usager.email = v.email;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const rdv = await call("POST", `/public/${slug}/rdvs`, {
        motif_id: state.motif.id, lieu_id: state.lieu.id, starts_at: state.slot.starts_at, usager });
      clear(document.getElementById("confirmation")).append(
        el("h2", {}, "Votre rendez-vous est confirmé"),
        el("p", {}, el("strong", {}, fmtDateTime(rdv.starts_at || state.slot.starts_at, tz))),
        el("p", {}, `${state.motif.name} — ${state.lieu.name}, ${state.lieu.address || ""}`),
        el("p", {}, "Vous allez recevoir une confirmation par SMS", v.email ? " et par e-mail" : "", "."));
      show("confirmation");
    } catch (e) {
      showFormError(form, e);
      if (e.code === "slot_taken" || e.code === "outside_opening") {
        form.querySelector(".error-box").append(el("p", {}, "Cet horaire n'est plus disponible : choisissez-en un autre."));
      }
    } finally {
      button.disabled = false;
    }
  });
}

main().catch((e) => flash(e.message, "error")).finally(markReady);
