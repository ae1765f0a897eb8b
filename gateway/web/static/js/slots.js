// Créneaux grouped so that a week fits on a screen: by day, then by lieu, then by agent, earliest first;
// the first few times of a group show, "Voir N horaires de plus" shows the rest (and moves the focus there).
import { el, fmtDay, fmtTime, dayOf } from "/static/js/app.js";

const SHOWN = 6; // times shown per group before "voir plus"

// Group items (sorted by start) by key(item), keeping the groups in order of their first item.
function groupBy(items, key) {
  const groups = new Map();
  for (const item of items) {
    const k = key(item);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(item);
  }
  return groups;
}

function plural(n, one, many) {
  return `${n} ${n > 1 ? many : one}`;
}

// A list of time buttons; their spoken name is the whole sentence ("lundi 1 mars 2027 à 09 h 00 avec …"),
// their visible text is the time: the name begins with the day and contains the visible text.
function slotList(slots, { tz, describe, onChoose, idPrefix }) {
  const items = slots.map((s, i) => el("li", { hidden: i >= SHOWN },
    el("button.slot", { type: "button", onclick: () => onChoose(s) },
      el("span.fr-sr-only", {}, `${fmtDay(dayOf(s.starts_at, tz))} à `), fmtTime(s.starts_at, tz),
      describe ? el("span.fr-sr-only", {}, ` ${describe(s)}`) : null)));
  const list = el("ul.slots", { id: idPrefix }, items);
  const nodes = [list];
  if (slots.length > SHOWN) {
    const more = el("button.fr-btn.fr-btn--tertiary-no-outline.fr-btn--sm.more-slots", {
      type: "button", "aria-expanded": "false", "aria-controls": idPrefix,
      onclick: () => {
        items.forEach((li) => (li.hidden = false));
        more.remove();
        items[SHOWN].querySelector("button").focus();
      },
    }, `Voir ${plural(slots.length - SHOWN, "horaire", "horaires")} de plus`);
    nodes.push(more);
  }
  return nodes;
}

// Render créneaux into `container`: one card per day; inside, a heading per lieu and per agent when given.
// lieuName(s) / agentName(s) return "" to leave that level out (e.g. the public page's single lieu).
export function renderSlotGroups(container, slots, { tz, lieuName = () => "", agentName = () => "", onChoose,
  headingLevel = 3 }) {
  const sorted = [...slots].sort((a, b) => (a.starts_at < b.starts_at ? -1 : a.starts_at > b.starts_at ? 1 : 0));
  const h = (n) => `h${Math.min(headingLevel + n, 6)}`;
  let counter = 0;
  for (const [day, daySlots] of groupBy(sorted, (s) => dayOf(s.starts_at, tz))) {
    const dayId = `jour-${day}`;
    const section = el("section.slots-day.card", { "aria-labelledby": dayId },
      el(h(0), { id: dayId }, fmtDay(day), el("span.muted.small", {}, ` — ${plural(daySlots.length, "créneau", "créneaux")}`)));
    for (const [lieuKey, lieuSlots] of groupBy(daySlots, (s) => lieuName(s))) {
      const lieuBox = lieuKey ? el("div.slots-lieu", {}, el(h(1), {}, lieuKey)) : section;
      for (const [agentKey, agentSlots] of groupBy(lieuSlots, (s) => agentName(s))) {
        counter += 1;
        const describe = (s) => [agentName(s) ? `avec ${agentName(s)}` : "", lieuName(s) ? `à ${lieuName(s)}` : ""]
          .filter(Boolean).join(" ");
        const list = slotList(agentSlots, { tz, describe, onChoose, idPrefix: `creneaux-${counter}` });
        lieuBox.append(agentKey ? el("div.slots-agent", {}, el("p", {}, agentKey), ...list) : el("div", {}, ...list));
      }
      if (lieuBox !== section) section.append(lieuBox);
    }
    container.append(section);
  }
}
