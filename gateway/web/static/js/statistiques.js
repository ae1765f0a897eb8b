// Statistiques: RDVs by status, week, motif and service (GET /stats), drawn with Chart.js.
import { api, run, listAll, el, clear, options, fullName, formValues, today, addDays, orgTimezone, STATUS_LABELS, STATUS_COLORS, fmtDay } from "/static/js/app.js";

const STATUSES = ["a_venir", "a_renseigner", "seen", "noshow", "excused", "revoked"];
// Groups count stored statuses: "unknown" is an RDV still to come or to fill in.
const GROUP_STATUSES = [["unknown", "À venir ou à renseigner", STATUS_COLORS.a_venir], ["seen", STATUS_LABELS.seen, STATUS_COLORS.seen],
  ["noshow", STATUS_LABELS.noshow, STATUS_COLORS.noshow], ["excused", STATUS_LABELS.excused, "#929292"],
  ["revoked", STATUS_LABELS.revoked, STATUS_COLORS.revoked]];

run(async (me) => {
  const tz = orgTimezone(me);
  const [services, agents] = await Promise.all([listAll("/services"), listAll("/agents")]);
  const form = document.getElementById("stats-filters");
  options(form.service_id, services, { empty: me.role === "admin" ? "Toute l'organisation" : "Mes services" });
  options(form.agent_id, agents, { empty: "Tous les agents", label: fullName });
  const day = await today(tz);
  form.from.value = addDays(day, -90);
  form.to.value = addDays(day, 30);
  const charts = {};

  function draw(id, type, labels, datasets, stacked) {
    if (!window.Chart) return;
    // The DSFR's font and text colours.
    Chart.defaults.font.family = "Marianne, arial, sans-serif";
    Chart.defaults.color = "#3a3a3a";
    Chart.defaults.borderColor = "#dddddd";
    charts[id]?.destroy();
    charts[id] = new Chart(document.getElementById(id), {
      type, data: { labels, datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, locale: "fr-FR",
        plugins: { legend: { position: "bottom" } },
        scales: type === "doughnut" ? {} : { x: { stacked }, y: { stacked, beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }

  // A text equivalent of each chart for screen readers.
  function describe(id, rows) {
    clear(document.getElementById(`${id}-text`)).append(el("ul", {}, rows.map(([k, v]) => el("li", {}, `${k} : ${v}`))));
  }

  const byStatusDatasets = (groups) => GROUP_STATUSES.map(([s, label, color]) => ({
    label, backgroundColor: color, data: groups.map((g) => (g.by_status || {})[s] || 0),
  }));

  async function load() {
    const v = Object.fromEntries(Object.entries(formValues(form)).filter(([, x]) => x));
    const get = (group_by) => api("GET", "/stats", undefined, { query: { ...v, group_by } });
    const [status, week, motif, service] = await Promise.all([get("status"), get("week"), get("motif"), get("service")]);
    const byStatus = status.by_display_status || status.by_status || {};
    clear(document.getElementById("totals")).append(
      el("div.stat-card", {}, el("strong", {}, String(status.total || 0)), "RDV au total"),
      ...STATUSES.map((s) => el("div.stat-card", {}, el("strong", {}, String(byStatus[s] || 0)), STATUS_LABELS[s])));
    draw("c-status", "doughnut", STATUSES.map((s) => STATUS_LABELS[s]),
      [{ data: STATUSES.map((s) => byStatus[s] || 0), backgroundColor: STATUSES.map((s) => STATUS_COLORS[s]) }]);
    describe("c-status", STATUSES.map((s) => [STATUS_LABELS[s], byStatus[s] || 0]));
    const weekLabel = (g) => g.label || (/^\d{4}-\d{2}-\d{2}$/.test(g.key) ? `Semaine du ${fmtDay(g.key)}` : g.key);
    for (const [id, data, label] of [["c-week", week, weekLabel], ["c-motif", motif, (g) => g.label || g.key],
      ["c-service", service, (g) => g.label || g.key]]) {
      const groups = data.groups || [];
      draw(id, "bar", groups.map(label), byStatusDatasets(groups), true);
      describe(id, groups.map((g) => [label(g), g.count]));
    }
  }
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    load().catch((err) => document.getElementById("flash").replaceChildren(el("div.notice.error", {}, err.message)));
  });
  if (!window.Chart) throw new Error("La bibliothèque de graphiques n'est pas disponible (lancez « npm ci »).");
  await load();
});
