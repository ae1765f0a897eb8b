// Trouver un RDV: motif + filters -> créneaux by day -> usager (search or create inline) -> confirm (POST /rdvs).
import {
  api, run, listAll, byId, el, clear, options, fullName, flash, showFormError, clearFormError, formValues,
  fmtDay, fmtTime, fmtDateTime, dayOf, today, addDays, orgTimezone, toInstant, debounce, LOCATION_TYPES, fmtPhone,
} from "/static/js/app.js";
import { renderSlotGroups } from "/static/js/slots.js";
import { showStep } from "/static/js/stepper.js";

run(async (me) => {
  const tz = orgTimezone(me);
  const [agents, motifs, lieux] = await Promise.all([listAll("/agents"), listAll("/motifs"), listAll("/lieux")]);
  const agentsById = byId(agents);
  const motifsById = byId(motifs);
  const lieuxById = byId(lieux);
  const q = new URLSearchParams(location.search);

  const searchForm = document.getElementById("search-form");
  const motifSelect = document.getElementById("s-motif");
  const mine = motifs.filter((m) => (me.service_ids || []).includes(m.service_id));
  const others = motifs.filter((m) => !mine.includes(m));
  clear(motifSelect).append(el("option", { value: "" }, "— Choisir un motif —"));
  const groups = mine.length && others.length
    ? [["Motifs de mes services", mine], ["Autres motifs", others]] : [[null, motifs]];
  for (const [label, list] of groups) {
    const opts = list.map((m) => el("option", { value: m.id }, `${m.name} (${m.duration_minutes} min, ${LOCATION_TYPES[m.location_type] || ""})`));
    if (label) motifSelect.append(el("optgroup", { label }, opts));
    else motifSelect.append(...opts);
  }
  options(document.getElementById("s-lieu"), lieux, { empty: "Tous les lieux" });
  options(document.getElementById("s-agent"), agents, { empty: "Tous les agents", label: fullName });
  options(document.getElementById("x-agent"), agents, { label: fullName });
  document.getElementById("x-agent").value = me.id;
  const startDay = await today(tz);
  searchForm.from.value = q.get("from") || startDay;
  searchForm.to.value = q.get("to") || addDays(startDay, 6);
  if (q.get("motif_id")) motifSelect.value = q.get("motif_id");
  if (q.get("agent_id") && agentsById[q.get("agent_id")]) searchForm.agent_id.value = q.get("agent_id");
  document.getElementById("x-day").value = startDay;

  const state = { slot: null, usager: null };

  function step(n) {
    showStep(document.getElementById("stepper"), n);
    document.getElementById("usager-section").hidden = n !== 2;
    document.getElementById("confirm-section").hidden = n !== 3;
    document.getElementById("search-section").hidden = n !== 1;
  }

  // ------------------------------------------------------------ 1. créneaux
  const slotsBox = document.getElementById("slots");
  async function search() {
    clearFormError(searchForm);
    const v = formValues(searchForm);
    if (!v.motif_id) {
      showFormError(searchForm, new Error("Choisissez un motif."));
      return;
    }
    clear(slotsBox).append(el("p.muted", {}, "Recherche en cours…"));
    try {
      const data = await api("GET", "/creneaux", undefined, { query: {
        motif_id: v.motif_id, lieu_id: v.lieu_id, agent_id: v.agent_id, from: v.from, to: v.to,
        elargir: v.elargir ? "true" : "" } });
      renderSlots(data, v);
    } catch (e) {
      clear(slotsBox);
      showFormError(searchForm, e);
    }
  }
  searchForm.addEventListener("submit", (e) => { e.preventDefault(); search(); });

  function renderSlots(data, v) {
    clear(slotsBox);
    const items = data.items || [];
    const motif = motifsById[v.motif_id] || {};
    if (!items.length) {
      const box = el("div.card", {}, el("p", {}, `Aucun créneau disponible pour « ${motif.name || "ce motif"} » du ${fmtDay(v.from)} au ${fmtDay(v.to)}.`));
      if (data.next_available) {
        const day = dayOf(data.next_available, tz);
        box.append(el("p", {}, el("strong", {}, "Prochaine disponibilité : "), fmtDateTime(data.next_available, tz), " ",
          el("button.button.secondary.small", { type: "button", id: "goto-next", onclick: () => {
            searchForm.from.value = day;
            searchForm.to.value = addDays(day, 6);
            search();
          } }, "Voir les créneaux à partir de ce jour")));
      } else {
        box.append(el("p.muted", {}, "Aucune disponibilité dans les six mois suivants."));
      }
      if (!v.elargir) box.append(el("p.hint", {}, "Astuce : cochez « Élargir la recherche » pour voir les agents des autres services."));
      slotsBox.append(box);
      return;
    }
    slotsBox.append(el("p", {}, `${items.length} créneau${items.length > 1 ? "x" : ""} disponible${items.length > 1 ? "s" : ""}, par jour, par lieu et par agent.`));
    renderSlotGroups(slotsBox, items, {
      tz, onChoose: chooseSlot,
      lieuName: (s) => (lieuxById[s.lieu_id] || {}).name || "Sans lieu",
      agentName: (s) => fullName(agentsById[s.agent_id]) || "Agent",
    });
  }

  function chooseSlot(s) {
    state.slot = s;
    document.getElementById("chosen-slot").textContent =
      `${(motifsById[s.motif_id] || {}).name} — ${fmtDateTime(s.starts_at, tz)} avec ${fullName(agentsById[s.agent_id])}, ${(lieuxById[s.lieu_id] || {}).name || ""}`;
    step(2);
    document.getElementById("usager-q").focus();
  }

  // ------------------------------------------------------------ "why not free?"
  const explainForm = document.getElementById("explain-form");
  explainForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormError(explainForm);
    const out = clear(document.getElementById("explain-result"));
    const v = formValues(explainForm);
    const motifId = motifSelect.value;
    if (!motifId) return showFormError(explainForm, new Error("Choisissez d'abord un motif dans la recherche."));
    if (!v.day || !v.time) return showFormError(explainForm, new Error("Indiquez un jour et une heure."));
    try {
      const res = await api("GET", "/api/v1/creneaux/explain", undefined, { query: {
        motif_id: motifId, agent_id: v.agent_id, starts_at: toInstant(v.day, v.time, tz) } });
      const free = res.free ?? res.ok ?? res.available;
      // Availability names a busy interval by its RDV id: say it in words.
      const reasons = Array.isArray(res.details) && res.details.length
        ? res.details.map((d) => (d.code === "rdv" ? "Un autre rendez-vous de l'agent occupe cet horaire." : d.message))
        : res.reasons || [];
      out.append(el(`div.notice.${free ? "success" : "warning"}`, {},
        el("strong", {}, free ? "Cet horaire est libre." : "Cet horaire n'est pas libre."),
        res.message ? el("p", {}, res.message) : null,
        reasons.length ? el("ul", {}, reasons.map((r) => el("li", {}, typeof r === "string" ? r : r.message || r.code))) : null));
    } catch (e) {
      showFormError(explainForm, e);
    }
  });

  // ------------------------------------------------------------ 2. usager
  const qInput = document.getElementById("usager-q");
  const results = document.getElementById("usager-results");
  const describe = (u) => [fullName(u), u.birth_date ? `né(e) le ${fmtDay(u.birth_date)}` : null, fmtPhone(u.phone), u.email].filter(Boolean).join(" — ");
  const searchUsagers = debounce(async () => {
    const text = qInput.value.trim();
    clear(results);
    if (text.length < 2) return;
    try {
      const data = await api("GET", "/usagers", undefined, { query: { q: text, scope: "organisation", per_page: 20 } });
      const items = data.items || [];
      if (!items.length) results.append(el("li.empty", {}, "Aucun usager trouvé. Vous pouvez le créer."));
      for (const u of items) results.append(el("li", {}, el("button", { type: "button", onclick: () => chooseUsager(u) }, describe(u))));
    } catch (e) {
      results.append(el("li.field-error", {}, e.message));
    }
  }, 250);
  qInput.addEventListener("input", searchUsagers);

  const newForm = document.getElementById("new-usager-form");
  const toggle = document.getElementById("show-new-usager");
  toggle.addEventListener("click", () => {
    newForm.hidden = !newForm.hidden;
    toggle.setAttribute("aria-expanded", String(!newForm.hidden));
    if (!newForm.hidden) {
      const words = qInput.value.trim().split(/\s+/);
      if (words.length >= 2 && !newForm.first_name.value) {
        newForm.first_name.value = words[0];
        newForm.last_name.value = words.slice(1).join(" ");
      }
      newForm.first_name.focus();
    }
  });
  newForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormError(newForm);
    const v = formValues(newForm);
    const body = { first_name: v.first_name, last_name: v.last_name, notify_by_sms: v.notify_by_sms,
      notify_by_email: v.notify_by_email };
    for (const k of ["birth_date", "phone", "email", "address"]) if (v[k]) body[k] = v[k];
    try {
      const u = await api("POST", "/usagers", body);
      newForm.reset();
      newForm.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      chooseUsager(u);
    } catch (e) {
      showFormError(newForm, e);
    }
  });
  document.getElementById("back-to-slots").addEventListener("click", () => step(1));

  // ------------------------------------------------------------ 3. confirmation
  function chooseUsager(u) {
    state.usager = u;
    const s = state.slot;
    const motif = motifsById[s.motif_id] || {};
    clear(document.getElementById("confirm-details")).append(...[
      ["Motif", `${motif.name || ""} (${motif.duration_minutes || "?"} min)`],
      ["Date", `${fmtDateTime(s.starts_at, tz)} – ${fmtTime(s.ends_at, tz)}`],
      ["Agent", fullName(agentsById[s.agent_id])],
      ["Lieu", (lieuxById[s.lieu_id] || {}).name || "—"],
      ["Usager", describe(u)],
    ].flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    step(3);
    document.getElementById("confirm-title").focus();
  }
  document.getElementById("back-to-usager").addEventListener("click", () => step(2));

  const confirmForm = document.getElementById("confirm-form");
  const confirmButton = document.getElementById("confirm-button");
  confirmForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormError(confirmForm);
    const s = state.slot;
    confirmButton.disabled = true;
    try {
      const body = { motif_id: s.motif_id, lieu_id: s.lieu_id, agent_ids: [s.agent_id], usager_ids: [state.usager.id],
        starts_at: s.starts_at };
      if (confirmForm.context.value.trim()) body.context = confirmForm.context.value.trim();
      const rdv = await api("POST", "/rdvs", body);
      document.getElementById("confirm-section").hidden = true;
      const done = document.getElementById("done-section");
      done.hidden = false;
      clear(done).append(
        el("h2", { tabindex: "-1", id: "done-title" }, "Rendez-vous enregistré"),
        el("p", {}, `${fmtDateTime(rdv.starts_at, tz)} — ${fullName(state.usager)} avec ${fullName(agentsById[s.agent_id])}.`),
        el("p.muted", {}, "L'usager est prévenu par SMS et e-mail selon ses coordonnées."),
        el("div.actions", {},
          el("a.button", { href: `/?agent_id=${s.agent_id}` }, "Voir dans l'agenda"),
          el("a.button.secondary", { href: "/trouver-un-rdv" }, "Trouver un autre RDV")));
      done.querySelector("h2").focus();
    } catch (e) {
      showFormError(confirmForm, e);
      if (e.code === "slot_taken") {
        confirmForm.querySelector(".error-box").append(el("p", {}, "Ce créneau vient d'être pris : choisissez-en un autre."));
      }
    } finally {
      confirmButton.disabled = false;
    }
  });

  if (motifSelect.value) search();
});
