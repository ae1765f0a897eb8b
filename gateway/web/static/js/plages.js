// Plages d'ouverture: list of an agent's plages, create / edit / delete with the recurrence editor.
import {
  api, run, listAll, byId, el, clear, options, fullName, flash, clearFlash, placeFlash, showFormError,
  clearFormError, formValues, fmtDay, fmtWall, describeRecurrence, today, orgTimezone, colorFor,
} from "/static/js/app.js";
import { RecurrenceEditor } from "/static/js/recurrence.js";
import { writePlage } from "/static/js/plage-orphans.js";

run(async (me) => {
  const tz = orgTimezone(me);
  const [agents, motifs, lieux] = await Promise.all([listAll("/agents"), listAll("/motifs"), listAll("/lieux")]);
  if (!agents.some((a) => a.id === me.id)) agents.unshift(me);
  const motifsById = byId(motifs);
  const lieuxById = byId(lieux);
  const form = document.getElementById("plage-form");
  const filter = document.getElementById("filter-agent");
  const agentSelect = document.getElementById("p-agent");
  const editable = me.role === "admin" ? agents : agents.filter((a) => a.id === me.id);
  options(filter, agents, { label: (a) => (a.id === me.id ? `${fullName(a)} (moi)` : fullName(a)) });
  filter.value = me.id;
  options(agentSelect, editable, { label: fullName });
  agentSelect.value = me.id;
  document.getElementById("p-agent-field").hidden = editable.length < 2;
  options(document.getElementById("p-lieu"), lieux, { empty: "— Choisir un lieu —" });
  const motifBox = document.getElementById("p-motifs");
  const mine = me.role === "admin" ? motifs : motifs.filter((m) => (me.service_ids || []).includes(m.service_id));
  for (const m of (mine.length ? mine : motifs)) {
    const id = `motif-${m.id}`;
    motifBox.append(el("label", { for: id }, el("input", { type: "checkbox", id, name: "motif_ids", value: m.id, "data-multi": true }), m.name));
  }
  if (!motifs.length) motifBox.append(el("p.empty", {}, "Aucun motif : un administrateur doit d'abord en créer."));

  const rec = new RecurrenceEditor(document.getElementById("p-recurrence"));
  const firstDay = document.getElementById("p-first-day");
  const startDay = await today(tz);
  firstDay.value = startDay;
  rec.repeat.addEventListener("change", () => rec.suggestFrom(firstDay.value));
  let editing = null;

  function reset() {
    editing = null;
    form.reset();
    rec.set(null);
    firstDay.value = startDay;
    agentSelect.value = filter.value && editable.some((a) => a.id === filter.value) ? filter.value : me.id;
    document.getElementById("form-title").textContent = "Nouvelle plage d'ouverture";
    clearFormError(form);
  }
  document.getElementById("plage-reset").addEventListener("click", reset);

  function edit(p) {
    editing = p;
    clearFormError(form);
    document.getElementById("form-title").textContent = `Modifier la plage « ${p.title} »`;
    form.title.value = p.title || "";
    agentSelect.value = p.agent_id;
    form.lieu_id.value = p.lieu_id;
    form.querySelectorAll('[name="motif_ids"]').forEach((c) => (c.checked = (p.motif_ids || []).includes(c.value)));
    firstDay.value = p.first_day;
    form.start_time.value = (p.start_time || "").slice(0, 5);
    form.end_time.value = (p.end_time || "").slice(0, 5);
    rec.set(p.recurrence);
    form.title.focus();
  }

  async function refresh() {
    const list = clear(document.getElementById("plages-list"));
    const items = await listAll("/plages", { agent_id: filter.value });
    if (!items.length) {
      list.append(el("p.empty", {}, "Aucune plage d'ouverture."));
      return;
    }
    const rows = items.map((p) => el("tr", {},
      el("td", {}, el("span.swatch", { style: `background:${colorFor(p.lieu_id)}`, "aria-hidden": "true" }), " ", el("strong", {}, p.title || "")),
      el("td", {}, (lieuxById[p.lieu_id] || {}).name || "—"),
      el("td", {}, (p.motif_ids || []).map((id) => (motifsById[id] || {}).name).filter(Boolean).join(", ")),
      el("td", {}, `${fmtWall((p.start_time || "").slice(0, 5))} – ${fmtWall((p.end_time || "").slice(0, 5))}`, el("br"),
        el("span.small.muted", {}, `à partir du ${fmtDay(p.first_day)}`)),
      el("td", {}, describeRecurrence(p.recurrence)),
      el("td", {}, el("div.actions", {},
        el("button.button.secondary.small", { type: "button", onclick: () => edit(p), "aria-label": `Modifier ${p.title}` }, "Modifier"),
        el("button.button.danger.small", { type: "button", "aria-label": `Supprimer ${p.title}`, "aria-haspopup": "dialog",
          onclick: async () => {
            try {
              const out = await writePlage({
                title: `Supprimer la plage « ${p.title || ""} »`, tz, motifs: motifsById,
                confirmText: `Supprimer la plage « ${p.title || ""} » ?`, confirmLabel: "Supprimer la plage",
                preview: () => api("DELETE", `/plages/${p.id}`, undefined, { query: { dry_run: "true" } }),
                write: () => api("DELETE", `/plages/${p.id}`),
              });
              if (!out.done) return;
              report("Plage supprimée.", out);
              if (editing && editing.id === p.id) reset();
              await refresh();
            } catch (e) { flash(e.message, "error"); }
          } }, "Supprimer")))));
    list.append(el("div.table-wrap", {}, el("table", {},
      el("caption.visually-hidden", {}, "Plages d'ouverture"),
      el("thead", {}, el("tr", {}, ["Titre", "Lieu", "Motifs", "Horaires", "Répétition", "Actions"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows))));
  }
  filter.addEventListener("change", refresh);

  // The outcome of a write, with the RDVs cancelled along with it (and those that could not be).
  function report(message, { cancelled = 0, failures = [] } = {}) {
    const box = clear(document.getElementById("flash"));
    box.append(el("div.notice.success", {}, message + (cancelled
      ? ` ${cancelled} rendez-vous annulé${cancelled > 1 ? "s" : ""} par le service : les usagers sont prévenus.` : "")));
    if (failures.length) {
      box.append(el("div.notice.error", {}, "Ces rendez-vous n'ont pas pu être annulés :",
        el("ul", {}, failures.map((f) => el("li", {}, f)))));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormError(form);
    clearFlash();
    const v = formValues(form);
    const body = {
      agent_id: v.agent_id || me.id, title: v.title, lieu_id: v.lieu_id || null, motif_ids: v.motif_ids || [],
      first_day: v.first_day, start_time: v.start_time, end_time: v.end_time, recurrence: rec.value(),
    };
    try {
      let saved;
      let out = { cancelled: 0, failures: [] };
      if (editing) {
        out = await writePlage({
          title: `Modifier la plage « ${editing.title || ""} »`, tz, motifs: motifsById,
          preview: () => api("PATCH", `/plages/${editing.id}`, body, { query: { dry_run: "true" } }),
          write: () => api("PATCH", `/plages/${editing.id}`, body),
        });
        if (!out.done) return;
        saved = out.result;
      } else {
        saved = await api("POST", "/plages", body);
      }
      const warnings = saved.warnings || [];
      const box = placeFlash(form); // the outcome and its warnings next to the form
      report(editing ? "Plage d'ouverture modifiée." : "Plage d'ouverture créée.", out);
      if (warnings.length) {
        box.append(el("div.notice.warning", {}, el("strong", {}, "Attention : "),
          el("ul.warnings", {}, warnings.map((w) => el("li", {}, typeof w === "string" ? w : w.message || JSON.stringify(w))))));
      }
      filter.value = body.agent_id;
      reset();
      await refresh();
    } catch (e) {
      showFormError(form, e);
    }
  });

  await refresh();
});
