// Agenda: an agent's week or day — plages (by lieu), absences, holidays and RDVs (by status).
import {
  api, run, listAll, byId, el, clear, options, fullName, orgTimezone, wallClock, serverNow, today, addDays, dayOf,
  STATUS_COLORS, STATUS_LABELS, colorFor, debounce,
} from "/static/js/app.js";
import { loadUsagers } from "/static/js/rdv.js";
import { openRdvDialog } from "/static/js/rdv-dialog.js";
import { initClock } from "/static/js/notify.js";
import { refetchGuard, wireAgendaEditing } from "/static/js/agenda-edit.js";

run(async (me) => {
  const tz = orgTimezone(me);
  const [agents, motifs, lieux, now] = await Promise.all([
    listAll("/agents"), listAll("/motifs"), listAll("/lieux"), serverNow(), initClock(),
  ]);
  const agentsById = byId(agents);
  const motifsById = byId(motifs);
  const lieuxById = byId(lieux);
  const usagers = {};
  let rdvsById = {};
  let plages = []; // the window's plage occurrences (the lieu and motifs of a clicked time)

  const select = document.getElementById("agent-select");
  if (!agentsById[me.id]) agents.unshift(me);
  options(select, agents, { label: (a) => (a.id === me.id ? `${fullName(a)} (moi)` : fullName(a)) });
  const params = new URLSearchParams(location.search);
  const wanted = params.get("agent_id");
  select.value = wanted && agents.some((a) => a.id === wanted) ? wanted : me.id;

  renderLegend(lieux);

  if (!window.FullCalendar) {
    throw new Error("La bibliothèque de calendrier n'est pas disponible (lancez « npm ci »).");
  }
  const startDay = await today(tz);
  const phone = window.matchMedia("(max-width: 47.9em)").matches;
  const calendar = new FullCalendar.Calendar(document.getElementById("calendar"), {
    locale: "fr",
    timeZone: "UTC", // events are given as the organisation's wall clock
    now: wallClock(now, tz),
    initialDate: /^\d{4}-\d{2}-\d{2}$/.test(params.get("date") || "") ? params.get("date") : startDay,
    // A phone shows one day (or the week as a list); the toolbar's buttons stay inside the screen.
    initialView: phone ? "timeGridDay" : "timeGridWeek",
    headerToolbar: phone ? { left: "prev,next today", center: "title", right: "timeGridDay,listWeek" }
      : { left: "prev,next today", center: "title", right: "timeGridWeek,timeGridDay" },
    buttonText: { listWeek: "Liste" },
    datesSet: nameIcons,
    slotMinTime: "07:00:00",
    slotMaxTime: "20:00:00",
    slotDuration: "00:15:00",
    slotLabelInterval: "01:00",
    allDaySlot: true,
    allDayText: "jour",
    nowIndicator: true,
    height: "auto",
    expandRows: true,
    eventInteractive: true,
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    events: async (info, success, failure) => {
      try {
        success(await loadEvents(info.startStr.slice(0, 10), addDays(info.endStr.slice(0, 10), -1)));
      } catch (e) {
        failure(e);
        document.getElementById("flash").textContent = e.message;
      }
    },
    eventClick: (info) => {
      const rdv = rdvsById[info.event.id];
      if (rdv) openRdv(rdv);
    },
    // RDVs the caller may change are editable (per event); plages, absences and holidays never are.
    editable: false,
    selectable: true,
    selectMirror: true,
    unselectAuto: true,
    eventAllow: (drop) => !drop.allDay, // an RDV has a time: not in the "jour" row
    selectAllow: (sel) => !sel.allDay,
    eventDrop: (info) => editing.drop(info),
    eventResize: (info) => editing.resize(info),
    select: (info) => editing.select(info),
    eventDidMount: (info) => {
      const kind = info.event.extendedProps.kind;
      if (kind) info.el.setAttribute("title", info.event.extendedProps.description || info.event.title);
      if (kind === "rdv") info.el.setAttribute("aria-label", info.event.extendedProps.description);
    },
  });
  const ctx = () => ({ tz, motifs: motifsById, lieux: lieuxById, agents: agentsById, agentList: agents, lieuList: lieux, usagers,
    onChanged: (updated) => { rdvsById[updated.id] = { ...rdvsById[updated.id], ...updated }; guard.refetch(); } });
  const guard = refetchGuard(calendar, document.getElementById("calendar"));
  const editing = wireAgendaEditing({ calendar: () => calendar, guard, me, tz, agents, motifs, lieux, usagers,
    rdv: (id) => rdvsById[id], agentId: () => select.value, plages: () => plages, ctx });
  calendar.render();
  document.getElementById("new-rdv").addEventListener("click", () => editing.create());
  const findLink = document.getElementById("find-link");
  const syncFindLink = () => { findLink.href = `/trouver-un-rdv?agent_id=${select.value}`; };
  syncFindLink();
  select.addEventListener("change", syncFindLink);
  select.addEventListener("change", () => {
    history.replaceState(null, "", `?agent_id=${select.value}&date=${calendar.getDate().toISOString().slice(0, 10)}`);
    calendar.refetchEvents();
  });

  // The toolbar's chevrons are images without a name: hide them; their button is named by its title.
  function nameIcons() {
    for (const icon of document.querySelectorAll("#calendar .fc-icon")) icon.setAttribute("aria-hidden", "true");
    for (const button of document.querySelectorAll("#calendar .fc-button[title]")) {
      if (!button.textContent.trim()) button.setAttribute("aria-label", button.title);
    }
  }

  async function loadEvents(from, to) {
    const data = await api("GET", "/agenda", undefined, { query: { agent_id: select.value, from, to } });
    const events = [];
    plages = pick(data, "plages", "plage_occurrences");
    for (const p of plages) {
      const lieu = lieuxById[p.lieu_id] || {};
      events.push({
        start: wallClock(start(p), tz), end: wallClock(end(p), tz), display: "background",
        color: colorFor(p.lieu_id), classNames: ["plage"],
        extendedProps: { kind: "plage", description: `Plage d'ouverture ${p.title || ""} — ${lieu.name || ""}` },
      });
    }
    for (const a of pick(data, "absences", "absence_occurrences")) {
      events.push({
        start: wallClock(start(a), tz), end: wallClock(end(a), tz), display: "background", color: "#595959",
        classNames: ["absence"], title: a.title || "Indisponibilité",
        extendedProps: { kind: "absence", description: `Indisponibilité : ${a.title || ""}` },
      });
    }
    for (const h of pick(data, "jours_feries", "holidays")) {
      events.push({ start: h.day, allDay: true, display: "block", color: "#595959", title: `Férié : ${h.name}`,
        classNames: ["holiday"], extendedProps: { kind: "holiday", description: `Jour férié : ${h.name}` } });
      events.push({ start: `${h.day}T00:00:00`, end: `${addDays(h.day, 1)}T00:00:00`, display: "background",
        color: "#595959", classNames: ["absence"], extendedProps: { kind: "holiday", description: `Jour férié : ${h.name}` } });
    }
    // The agenda's RDVs come from availability's busy projection; /rdvs adds usagers and display_status
    // for the RDVs the caller may see (a colleague's others keep what the agenda says).
    let full = {};
    try {
      full = byId(await listAll("/rdvs", { agent_id: select.value, from, to }, 2000));
    } catch (e) { /* not allowed to list: keep the agenda's view */ }
    const todayDay = await today(tz);
    const fromAgenda = pick(data, "rdvs");
    const known = new Set(fromAgenda.map((r) => r.id));
    // Booking's list is up to date at once (availability's projection follows by events): show both.
    const rdvs = fromAgenda.map((r) => full[r.id] || { ...r, readonly: true,
      display_status: r.status === "unknown" ? (dayOf(r.starts_at, tz) <= todayDay ? "a_renseigner" : "a_venir") : r.status })
      .concat(Object.values(full).filter((r) => !known.has(r.id)));
    rdvsById = byId(rdvs);
    await loadUsagers(rdvs.flatMap((r) => r.usager_ids || []), usagers);
    for (const r of rdvs) {
      const key = r.display_status || r.status;
      const motif = motifsById[r.motif_id] || {};
      const who = (r.usager_ids || []).map((id) => fullName(usagers[id])).filter(Boolean).join(", ");
      const title = [who, motif.name].filter(Boolean).join(" — ") || "RDV";
      events.push({
        id: r.id, start: wallClock(r.starts_at, tz), end: wallClock(r.ends_at, tz), title,
        color: STATUS_COLORS[key] || "#2f5fd0", classNames: ["rdv", `rdv-${key}`],
        editable: !r.readonly && r.status === "unknown",
        extendedProps: { kind: "rdv", description: `RDV ${title}, ${STATUS_LABELS[key] || key}` },
      });
    }
    return events;
  }

  // ------------------------------------------------------------ details dialog
  function openRdv(rdv) {
    openRdvDialog(rdv, ctx(), { readonly: !!rdv.readonly });
  }

  // ------------------------------------------------------------ live refresh (server-sent events)
  const live = document.getElementById("live-status");
  const refresh = debounce(() => guard.refetch(), 300);
  if (window.EventSource) {
    const source = new EventSource("/web/events");
    source.addEventListener("open", () => (live.textContent = "Mise à jour automatique active."));
    source.addEventListener("rdv", refresh);
    source.addEventListener("error", () => (live.textContent = "Mise à jour automatique interrompue : reconnexion…"));
    window.addEventListener("beforeunload", () => source.close());
  }
});

function pick(data, ...keys) {
  for (const k of keys) if (data && Array.isArray(data[k])) return data[k];
  return [];
}
const start = (x) => x.starts_at || x.start;
const end = (x) => x.ends_at || x.end;

function renderLegend(lieux) {
  const legend = clear(document.getElementById("legend"));
  for (const l of lieux) {
    legend.append(el("li", {}, el("span.swatch", { style: `background:${colorFor(l.id)};opacity:.5` }), `Plage — ${l.name}`));
  }
  legend.append(el("li", {}, el("span.swatch.hatched", { "aria-hidden": "true" }), "Indisponibilité ou jour férié"));
  for (const key of ["a_venir", "a_renseigner", "seen", "noshow", "revoked"]) {
    legend.append(el("li", {}, el("span.swatch", { style: `background:${STATUS_COLORS[key]}` }), STATUS_LABELS[key]));
  }
}
