// Changing the agenda with the mouse: drag an RDV to move it, stretch it to change its duration (both confirmed,
// reverted if the agent declines or the server refuses), select an empty time to create an RDV there.
import { flash, el, clear, fmtDateTime, toInstant, wallClock } from "/static/js/app.js";
import { moveRdv, warningsText } from "/static/js/rdv-edit.js";
import { createRdv } from "/static/js/rdv-create.js";
import { currentNow } from "/static/js/notify.js";

// The calendar runs in "UTC" with the organisation's wall clock: a Date's UTC fields are the wall time.
const wallDay = (d) => d.toISOString().slice(0, 10);
const wallTime = (d) => d.toISOString().slice(11, 16);

// Refetching replaces every event of the calendar. While the agent holds an RDV with the pointer (to drag or
// stretch it), or answers the confirmation of that change, FullCalendar would lose the event it is moving (a
// live update from another agent, or our own refetch after the previous change, landing mid-gesture).
// Refetches asked meanwhile wait, and one runs once the gesture and its confirmation are over.
export function refetchGuard(calendar, calendarEl) {
  let holds = 0;
  let pending = false;
  const refetch = () => { if (holds) pending = true; else calendar.refetchEvents(); };
  const hold = () => { holds += 1; };
  const release = () => {
    holds -= 1;
    if (!holds && pending) {
      pending = false;
      calendar.refetchEvents();
    }
  };
  // A press holds until FullCalendar is done with it. A drag or a stretch that began ends after the release, in a
  // task FullCalendar queues then, where eventDrop and eventResize take their own hold (the confirmation's):
  // the press lets go only after that task, never between the release and the confirmation.
  let pressed = false;
  let gesture = false;
  let presses = 0;
  const letGo = () => {
    if (!pressed) return;
    pressed = false;
    gesture = false;
    setTimeout(release, 0);
  };
  const begin = () => { gesture = true; };
  const end = () => { if (gesture) letGo(); };
  for (const name of ["eventDragStart", "eventResizeStart"]) calendar.on(name, begin);
  for (const name of ["eventDragStop", "eventResizeStop"]) calendar.on(name, end);
  const up = () => {
    document.removeEventListener("pointerup", up, true);
    document.removeEventListener("pointercancel", up, true);
    if (!gesture) return letGo();  // a click, or a press that never moved far enough to begin a gesture
    // The gesture's stop lets go; should it never come, live updates must not stay held for good.
    const press = presses;
    setTimeout(() => { if (press === presses) letGo(); }, 2000);
  };
  calendarEl.addEventListener("pointerdown", () => {
    if (pressed && gesture) return;  // another finger during a gesture
    if (pressed) letGo();  // the previous press's release never came (released outside the window)
    pressed = true;
    presses += 1;
    hold();
    document.addEventListener("pointerup", up, true);
    document.addEventListener("pointercancel", up, true);
  }, true);
  return { refetch, hold, release };
}

// opts: {calendar(), guard (refetchGuard), me, tz, agents, motifs, lieux, usagers, rdv(id), agentId(), plages(), ctx()}
export function wireAgendaEditing(opts) {
  const { me, tz, agents, motifs, lieux, usagers, guard } = opts;
  const refetch = guard.refetch;

  // The confirmation of a drag or a stretch holds refetches until it is answered (see refetchGuard).
  const held = (change) => async (info) => {
    guard.hold();
    try {
      await change(info);
    } finally {
      guard.release();
    }
  };

  async function drop(info) {
    const rdv = opts.rdv(info.event.id);
    if (!rdv) return info.revert();
    const startsAt = toInstant(wallDay(info.event.start), wallTime(info.event.start), tz);
    const updated = await moveRdv(rdv, { startsAt }, { usagers, tz });
    if (!updated) return info.revert();
    flash(`Rendez-vous déplacé au ${fmtDateTime(updated.starts_at, tz)}.`);
    refetch();
  }

  async function resize(info) {
    const rdv = opts.rdv(info.event.id);
    if (!rdv || !info.event.end) return info.revert();
    const durationMinutes = Math.round((info.event.end - info.event.start) / 60000);
    const updated = await moveRdv(rdv, { durationMinutes }, { usagers, tz });
    if (!updated) return info.revert();
    flash(`Durée du rendez-vous du ${fmtDateTime(updated.starts_at, tz)} modifiée.`);
    refetch();
  }

  // The plage (occurrence) holding a wall time, if any: its lieu and motifs fill the form.
  function plageAt(day, time) {
    const at = new Date(toInstant(day, time, tz)).getTime();
    return opts.plages().find((p) => {
      const start = new Date(p.starts_at || p.start).getTime();
      const end = new Date(p.ends_at || p.end).getTime();
      return start <= at && at < end;
    });
  }

  async function create(init = {}) {
    const agentId = opts.agentId();
    let { day, time } = init;
    if (!day) {
      // "Nouveau RDV" from the keyboard: the next quarter hour of today.
      const wall = wallClock(new Date(currentNow().getTime() + 15 * 60000), tz);
      day = wall.slice(0, 10);
      const [h, m] = wall.slice(11, 16).split(":").map(Number);
      time = `${String(h).padStart(2, "0")}:${String(m - (m % 15)).padStart(2, "0")}`;
    }
    const plage = plageAt(day, time);
    const motifIds = plage ? plage.motif_ids || [] : [];
    const created = await createRdv({
      day, time, duration: init.duration, agentId, lieuId: plage ? plage.lieu_id : null,
      motifId: motifIds.length === 1 ? motifIds[0] : null,
    }, { me, tz, agents, motifs, lieux });
    if (!created) return;
    const box = clear(document.getElementById("flash"));
    box.append(el("div.notice.success", {}, `Rendez-vous créé le ${fmtDateTime(created.starts_at, tz)}.`));
    const warning = warningsText(created.warnings);
    if (warning) box.append(el("div.notice.warning", {}, warning));
    refetch();
  }

  function select(info) {
    opts.calendar().unselect();
    if (info.allDay) return;
    const minutes = Math.round((info.end - info.start) / 60000);
    // A click selects one slot (15 min): keep the motif's duration then; a longer drag sets the duration.
    create({ day: wallDay(info.start), time: wallTime(info.start), duration: minutes > 15 ? minutes : undefined });
  }

  return { drop: held(drop), resize: held(resize), select, create };
}
