// Liste des RDV: filters (kept in the URL), status buttons, "Modifier", the RDV dialog, bulk « honoré »,
// pagination, XLSX export.
import {
  api, run, listAll, byId, el, clear, options, fullName, flash, formValues, fmtDateTime, orgTimezone, dayOf, addDays,
} from "/static/js/app.js";
import { statusBadge, loadUsagers } from "/static/js/rdv.js";
import { statusButtons } from "/static/js/rdv-status.js";
import { editRdv } from "/static/js/rdv-edit.js";
import { openRdvDialog } from "/static/js/rdv-dialog.js";
import { confirmAction } from "/static/js/dialogs.js";
import { initClock, currentNow } from "/static/js/notify.js";

const PER_PAGE = 25;

run(async (me) => {
  const tz = orgTimezone(me);
  const [agents, services, motifs, lieux] = await Promise.all([
    listAll("/agents"), listAll("/services"), listAll("/motifs"), listAll("/lieux"), initClock()]);
  const agentsById = byId(agents);
  const motifsById = byId(motifs);
  const lieuxById = byId(lieux);
  const usagers = {};
  const form = document.getElementById("rdv-filters");
  options(form.agent_id, agents, { empty: "Tous les agents", label: fullName });
  options(form.service_id, services, { empty: "Tous les services" });
  options(form.motif_id, motifs, { empty: "Tous les motifs" });
  options(form.lieu_id, lieux, { empty: "Tous les lieux" });
  const params = new URLSearchParams(location.search);
  for (const k of ["agent_id", "service_id", "motif_id", "lieu_id", "status", "from", "to"]) if (params.get(k)) form[k].value = params.get(k);
  let page = Number(params.get("page") || 1);

  // An usager's RDVs (link from their fiche): a filter without a field of its own.
  const usagerId = params.get("usager_id");
  if (usagerId) {
    form.querySelector(".actions").prepend(el("span.fr-tag.fr-tag--sm", {}, "Filtré sur un usager"), " ",
      el("a", { href: "/rdvs" }, "Retirer ce filtre"));
  }
  const filters = () => Object.fromEntries(Object.entries({ ...formValues(form), usager_id: usagerId }).filter(([, v]) => v));
  // « À venir » and « À renseigner » are RDVs of status unknown before / from today (organisation's day).
  // Returns the API's query, or null when the period leaves nothing.
  const apiFilters = (f) => {
    const q = { ...f };
    const todayDay = dayOf(currentNow(), tz);
    if (q.status === "a_renseigner") {
      q.status = "unknown";
      if (!q.to || q.to > todayDay) q.to = todayDay;
    } else if (q.status === "a_venir") {
      q.status = "unknown";
      const tomorrow = addDays(todayDay, 1);
      if (!q.from || q.from < tomorrow) q.from = tomorrow;
    }
    return q.from && q.to && q.from > q.to ? null : q;
  };
  const ctx = { tz, motifs: motifsById, lieux: lieuxById, agents: agentsById, agentList: agents, lieuList: lieux, usagers };
  let rows = [];

  async function load() {
    const f = filters();
    history.replaceState(null, "", "?" + new URLSearchParams({ ...f, page }).toString());
    const q = apiFilters(f);
    const data = q ? await api("GET", "/rdvs", undefined, { query: { ...q, page, per_page: PER_PAGE } })
      : { items: [], total: 0 };
    const items = data.items || [];
    await loadUsagers(items.flatMap((r) => r.usager_ids || []), usagers);
    const list = clear(document.getElementById("rdv-list"));
    document.getElementById("rdv-count").textContent = `${data.total ?? items.length} rendez-vous`;
    if (!items.length) list.append(el("p.empty", {}, "Aucun rendez-vous ne correspond à ces filtres."));
    else {
      rows = items.map((r) => ({ rdv: r, tr: null }));
      rows.forEach((x) => (x.tr = row(x)));
      list.append(bulkBar(), el("div.table-wrap", {}, el("table", {},
        el("caption.visually-hidden", {}, "Rendez-vous"),
        el("thead", {}, el("tr", {}, ["Sélection", "Date", "Usager(s)", "Motif", "Lieu", "Agent(s)", "Statut", "Actions"].map((h, i) =>
          el("th", { scope: "col" }, i ? h : el("span.visually-hidden", {}, h))))),
        el("tbody", {}, rows.map((x) => x.tr)))));
      syncBulk();
    }
    const pages = Math.max(1, Math.ceil((data.total || 0) / PER_PAGE));
    const pager = clear(document.getElementById("pagination"));
    if (pages > 1) pager.append(
      el("button.button.secondary.small", { type: "button", disabled: page <= 1, onclick: () => { page--; load(); } }, "Précédent"),
      el("span", {}, `Page ${page} sur ${pages}`),
      el("button.button.secondary.small", { type: "button", disabled: page >= pages, onclick: () => { page++; load(); } }, "Suivant"));
  }

  function row(x) {
    const r = x.rdv;
    const when = fmtDateTime(r.starts_at, tz);
    const replace = (updated) => {
      x.rdv = updated;
      const tr = row(x);
      x.tr.replaceWith(tr);
      x.tr = tr;
      syncBulk();
    };
    const changed = (updated) => {
      replace(updated);
      flash(`RDV du ${fmtDateTime(updated.starts_at, tz)} mis à jour.`);
    };
    const canBeSeen = (r.allowed_statuses || []).includes("seen");
    const tr = el("tr", { dataset: { rdvId: r.id } },
      el("td", {}, canBeSeen ? el("input.bulk-check", { type: "checkbox", value: r.id, "aria-label": `Sélectionner le RDV du ${when}`,
        onchange: syncBulk }) : null),
      el("td", {}, when),
      el("td", {}, (r.usager_ids || []).map((id) => usagers[id]
        ? el("a", { href: `/usagers/${id}` }, fullName(usagers[id])) : "usager").flatMap((x, i) => (i ? [", ", x] : [x]))),
      el("td", {}, (motifsById[r.motif_id] || {}).name || "—"),
      el("td", {}, (lieuxById[r.lieu_id] || {}).name || "—"),
      el("td", {}, (r.agent_ids || []).map((id) => fullName(agentsById[id])).join(", ")),
      el("td", {}, statusBadge(r)),
      el("td", {}, el("div.actions", {},
        statusButtons(r, { small: true, usagers, tz, onDone: changed, onError: (e) => flash(e.message, "error") }),
        el("button.button.secondary.small", { type: "button", "aria-haspopup": "dialog", "aria-label": `Modifier le RDV du ${when}`,
          onclick: async () => {
            const updated = await editRdv(r, { agents, lieux, usagers, tz });
            if (updated) changed(updated);
          } }, "Modifier"),
        el("button.button.secondary.small", { type: "button", "aria-haspopup": "dialog", "aria-label": `Détails du RDV du ${when}`,
          onclick: () => openRdvDialog(r, { ...ctx, onChanged: replace }) }, "Détails"))));
    return tr;
  }

  // Bulk « honoré » (a past day's list): the selected RDVs that may be marked so.
  function bulkBar() {
    const all = el("input#bulk-all", { type: "checkbox", onchange: () => {
      document.querySelectorAll(".bulk-check").forEach((c) => (c.checked = all.checked));
      syncBulk();
    } });
    const button = el("button.button.success.small#bulk-seen", { type: "button", onclick: markSelectedSeen }, "Marquer comme honorés");
    const bar = el("div.bulk-bar#bulk-bar", {}, el("label.check-inline", { for: "bulk-all" }, all, "Tout sélectionner"), button,
      el("span.muted.small#bulk-count", { "aria-live": "polite" }));
    return bar;
  }

  function syncBulk() {
    const bar = document.getElementById("bulk-bar");
    if (!bar) return;
    const boxes = [...document.querySelectorAll(".bulk-check")];
    const chosen = boxes.filter((c) => c.checked);
    bar.hidden = !boxes.length;
    document.getElementById("bulk-seen").disabled = !chosen.length;
    document.getElementById("bulk-seen").textContent = chosen.length
      ? `Marquer comme honorés (${chosen.length})` : "Marquer comme honorés";
    document.getElementById("bulk-all").checked = boxes.length > 0 && chosen.length === boxes.length;
  }

  async function markSelectedSeen() {
    const ids = [...document.querySelectorAll(".bulk-check:checked")].map((c) => c.value);
    const chosen = rows.filter((x) => ids.includes(x.rdv.id));
    if (!chosen.length) return;
    const failures = [];
    const done = await confirmAction({
      title: `Marquer ${chosen.length} RDV comme honorés ?`,
      lines: [el("ul", {}, chosen.map((x) => el("li", {}, `${fmtDateTime(x.rdv.starts_at, tz)} — ${
        (x.rdv.usager_ids || []).map((id) => fullName(usagers[id])).join(", ") || "sans usager"}`))),
      "L'usager n'est pas prévenu d'un RDV honoré."],
      confirmLabel: "Marquer comme honorés", cancelLabel: "Ne rien changer",
      action: async () => {
        for (const x of chosen) {
          try {
            const updated = await api("POST", `/rdvs/${x.rdv.id}/status`, { status: "seen" });
            x.rdv = updated;
            const tr = row(x);
            x.tr.replaceWith(tr);
            x.tr = tr;
          } catch (e) {
            failures.push(`${fmtDateTime(x.rdv.starts_at, tz)} : ${e.message}`);
          }
        }
        syncBulk();
        return true;
      },
    });
    if (!done) return;
    if (failures.length) {
      clear(document.getElementById("flash")).append(el("div.notice.error", {}, "Certains RDV n'ont pas été mis à jour :",
        el("ul", {}, failures.map((f) => el("li", {}, f)))));
    } else {
      flash(`${chosen.length} RDV marqué${chosen.length > 1 ? "s" : ""} comme honoré${chosen.length > 1 ? "s" : ""}.`);
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    page = 1;
    load().catch((err) => flash(err.message, "error"));
  });

  document.getElementById("export-xlsx").addEventListener("click", async (ev) => {
    ev.target.disabled = true;
    try {
      await api("POST", "/exports", { kind: "rdvs", filters: apiFilters(filters()) || filters() });
      const box = clear(document.getElementById("flash"));
      box.append(el("div.notice.success", {}, "Export lancé. Le fichier sera disponible dans ",
        el("a", { href: "/mon-compte#exports" }, "Mon compte"), "."));
    } catch (e) {
      flash(e.message, "error");
    } finally {
      ev.target.disabled = false;
    }
  });

  await load();
});
