// The recurrence editor of plages and absences: exceptionnelle / permanente (weekdays, every N weeks, end date).
import { el, WEEKDAYS } from "/static/js/app.js";

let counter = 0;

export class RecurrenceEditor {
  constructor(container, { onceLabel = "Exceptionnelle (une seule fois)", repeatLabel = "Permanente (répétée chaque semaine)", onChange } = {}) {
    const n = ++counter;
    this.onChange = onChange;
    this.once = el("input", { type: "radio", name: `recurrence_kind_${n}`, value: "once", id: `rec-once-${n}`, checked: true });
    this.repeat = el("input", { type: "radio", name: `recurrence_kind_${n}`, value: "weekly", id: `rec-weekly-${n}` });
    this.days = WEEKDAYS.map(([key, label]) => el("input", { type: "checkbox", value: key, id: `rec-${key}-${n}`, name: "on" }));
    this.interval = el("select", { id: `rec-interval-${n}`, name: "interval" },
      [1, 2, 3, 4, 5].map((i) => el("option", { value: String(i) }, i === 1 ? "toutes les semaines" : `toutes les ${i} semaines`)));
    this.until = el("input", { type: "date", id: `rec-until-${n}`, name: "until" });
    this.details = el("div.recurrence-details", { hidden: true },
      el("fieldset", {}, el("legend", {}, "Jours de la semaine"),
        el("div.checks", {}, WEEKDAYS.map(([key, label], i) => el("label", { for: `rec-${key}-${n}` }, this.days[i], label)))),
      el("div.row", {},
        el("div.field", {}, el("label", { for: `rec-interval-${n}` }, "Fréquence"), this.interval),
        el("div.field", {}, el("label", { for: `rec-until-${n}` }, "Date de fin ",
          el("span.hint", {}, "(facultative : sans date de fin, la répétition est illimitée)")), this.until)));
    const fieldset = el("fieldset", {}, el("legend", {}, "Répétition"),
      el("div.checks", {},
        el("label", { for: `rec-once-${n}` }, this.once, onceLabel),
        el("label", { for: `rec-weekly-${n}` }, this.repeat, repeatLabel)),
      this.details);
    container.append(fieldset);
    for (const radio of [this.once, this.repeat]) radio.addEventListener("change", () => this.sync());
  }

  sync() {
    this.details.hidden = !this.repeat.checked;
    this.onChange && this.onChange(this.repeat.checked);
  }

  get recurring() {
    return this.repeat.checked;
  }

  // The contract's recurrence (null = once).
  value() {
    if (!this.repeat.checked) return null;
    return {
      every: "week",
      interval: Number(this.interval.value),
      on: this.days.filter((d) => d.checked).map((d) => d.value),
      until: this.until.value || null,
    };
  }

  set(rec) {
    const weekly = rec && rec.every === "week";
    this.repeat.checked = !!weekly;
    this.once.checked = !weekly;
    this.days.forEach((d) => (d.checked = weekly && (rec.on || []).includes(d.value)));
    this.interval.value = String((rec && rec.interval) || 1);
    this.until.value = (rec && rec.until) || "";
    this.sync();
  }

  // Tick the weekday of `day` (YYYY-MM-DD) when none is ticked yet: the first occurrence must match.
  suggestFrom(day) {
    if (!day || this.days.some((d) => d.checked)) return;
    const idx = (new Date(day + "T12:00:00Z").getUTCDay() + 6) % 7;
    this.days[idx].checked = true;
  }
}
