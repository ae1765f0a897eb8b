// Indisponibilités: list + form (once or recurring); RDVs left inside a new absence can be cancelled in one action.
import {
  api, run, listAll, byId, el, clear, options, fullName, flash, clearFlash, showFormError, clearFormError,
  formValues, fmtDay, fmtWall, fmtDateTime, describeRecurrence, today, orgTimezone,
} from "/static/js/app.js";
import { RecurrenceEditor } from "/static/js/recurrence.js";
import { confirmAction } from "/static/js/dialogs.js";
import { statusBadge, loadUsagers } from "/static/js/rdv.js";

run(async (me) => {
  const tz = orgTimezone(me);
  const [agents, motifs, lieux] = await Promise.all([listAll("/agents"), listAll("/motifs"), listAll("/lieux")]);
  if (!agents.some((a) => a.id === me.id)) agents.unshift(me);
  const motifsById = byId(motifs);
  const lieuxById = byId(lieux);
  const usagers = {};
  const form = document.getElementById("absence-form");
  const filter = document.getElementById("filter-agent");
  const agentSelect = document.getElementById("a-agent");
  const editable = me.role === "admin" ? agents : agents.filter((a) => a.id === me.id);
  options(filter, agents, { label: (a) => (a.id === me.id ? `${fullName(a)} (moi)` : fullName(a)) });
  filter.value = me.id;
  options(agentSelect, editable, { label: fullName });
  agentSelect.value = me.id;
  document.getElementById("a-agent-field").hidden = editable.length < 2;

  const firstDay = document.getElementById("a-first-day");
  const endDay = document.getElementById("a-end-day");
  const endDayField = document.getElementById("a-end-day-field");
  const rec = new RecurrenceEditor(document.getElementById("a-recurrence"), {
    onceLabel: "Une seule fois", repeatLabel: "Récurrente (chaque semaine, sur une journée)",
    onChange: (recurring) => {
      endDayField.hidden = recurring;
      if (recurring) rec.suggestFrom(firstDay.value);
    },
  });
  const startDay = await today(tz);
  firstDay.value = endDay.value = startDay;
  firstDay.addEventListener("change", () => {
    if (!endDay.value || endDay.value < firstDay.value) endDay.value = firstDay.value;
  });
  let editing = null;

  function reset() {
    editing = null;
    form.reset();
    rec.set(null);
    firstDay.value = endDay.value = startDay;
    agentSelect.value = editable.some((a) => a.id === filter.value) ? filter.value : me.id;
    document.getElementById("form-title").textContent = "Nouvelle indisponibilité";
    clearFormError(form);
  }
  document.getElementById("absence-reset").addEventListener("click", reset);

  function edit(a) {
    editing = a;
    clearFormError(form);
    document.getElementById("form-title").textContent = `Modifier « ${a.title} »`;
    form.title.value = a.title || "";
    agentSelect.value = a.agent_id;
    firstDay.value = a.first_day;
    endDay.value = a.end_day || a.first_day;
    form.start_time.value = (a.start_time || "").slice(0, 5);
    form.end_time.value = (a.end_time || "").slice(0, 5);
    rec.set(a.recurrence);
    form.title.focus();
  }

  async function refresh() {
    const list = clear(document.getElementById("absences-list"));
    const items = await listAll("/absences", { agent_id: filter.value });
    if (!items.length) {
      list.append(el("p.empty", {}, "Aucune indisponibilité."));
      return;
    }
    const when = (a) => a.recurrence
      ? `${fmtWall(a.start_time.slice(0, 5))} – ${fmtWall(a.end_time.slice(0, 5))}, à partir du ${fmtDay(a.first_day)}`
      : `du ${fmtDay(a.first_day)} à ${fmtWall(a.start_time.slice(0, 5))} au ${fmtDay(a.end_day)} à ${fmtWall(a.end_time.slice(0, 5))}`;
    list.append(el("div.table-wrap", {}, el("table", {},
      el("thead", {}, el("tr", {}, ["Indisponibilité", "Période", "Répétition", "Actions"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, items.map((a) => el("tr", {},
        el("td", {}, el("strong", {}, a.title || "")),
        el("td", {}, when(a)),
        el("td", {}, a.recurrence ? describeRecurrence(a.recurrence) : "Une seule fois"),
        el("td", {}, el("div.actions", {},
          el("button.button.secondary.small", { type: "button", onclick: () => edit(a), "aria-label": `Modifier ${a.title}` }, "Modifier"),
          el("button.button.danger.small", { type: "button", "aria-label": `Supprimer ${a.title}`, "aria-haspopup": "dialog",
            onclick: async () => {
              const done = await confirmAction({ title: `Supprimer l'indisponibilité « ${a.title || ""} » ?`,
                lines: [when(a)], confirmLabel: "Supprimer l'indisponibilité", cancelLabel: "Ne rien faire", danger: true,
                action: async () => { await api("DELETE", `/absences/${a.id}`); return true; } });
              if (!done) return;
              flash("Indisponibilité supprimée.");
              await refresh();
            } }, "Supprimer")))))))));
  }
  filter.addEventListener("change", refresh);

  // ------------------------------------------------------------ RDVs in conflict
  const section = document.getElementById("conflicts");
  const cancelButton = document.getElementById("cancel-conflicts");
  let conflicts = [];

  async function showConflicts(rdvs) {
    // The absence lists RDVs as availability knows them; the full RDV (usagers, display status) comes from /rdvs.
    const full = await Promise.all(rdvs.map((r) => api("GET", `/rdvs/${r.id}`).catch(() => r)));
    conflicts = full.filter((r) => ["unknown", "seen", "noshow"].includes(r.status || "unknown"));
    section.hidden = !conflicts.length;
    if (!conflicts.length) return;
    await loadUsagers(conflicts.flatMap((r) => r.usager_ids || []), usagers);
    clear(document.getElementById("conflicts-list")).append(el("ul", {}, conflicts.map((r) => el("li", { dataset: { rdvId: r.id } },
      `${fmtDateTime(r.starts_at, tz)} — ${(motifsById[r.motif_id] || {}).name || "RDV"}`,
      r.lieu_id ? ` — ${(lieuxById[r.lieu_id] || {}).name || ""}` : "",
      " — ", (r.usager_ids || []).map((id) => fullName(usagers[id])).filter(Boolean).join(", "), " ", statusBadge(r)))));
    cancelButton.disabled = false;
    section.focus?.();
  }

  cancelButton.addEventListener("click", async () => {
    cancelButton.disabled = true;
    const failures = [];
    for (const r of conflicts) {
      try {
        await api("POST", `/rdvs/${r.id}/status`, { status: "revoked" });
      } catch (e) {
        failures.push(`${fmtDateTime(r.starts_at, tz)} : ${e.message}`);
      }
    }
    if (failures.length) {
      flash(`Certains RDV n'ont pas pu être annulés : ${failures.join(" ; ")}`, "error");
      cancelButton.disabled = false;
    } else {
      flash(`${conflicts.length} RDV annulé${conflicts.length > 1 ? "s" : ""} ; les usagers sont prévenus.`);
      section.hidden = true;
      conflicts = [];
    }
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormError(form);
    clearFlash();
    const v = formValues(form);
    const body = {
      agent_id: v.agent_id || me.id, title: v.title, first_day: v.first_day, start_time: v.start_time,
      end_day: rec.recurring ? v.first_day : v.end_day, end_time: v.end_time, recurrence: rec.value(),
    };
    try {
      const saved = editing ? await api("PATCH", `/absences/${editing.id}`, body) : await api("POST", "/absences", body);
      flash(editing ? "Indisponibilité modifiée." : "Indisponibilité créée.", "success", { near: form });
      filter.value = body.agent_id;
      reset();
      await refresh();
      await showConflicts(saved.rdvs_in_conflict || []);
    } catch (e) {
      showFormError(form, e);
    }
  });

  await refresh();
});
