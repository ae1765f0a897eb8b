// Liste des RDV: filters (kept in the URL), status buttons, pagination, XLSX export.
import {
  api, run, listAll, byId, el, clear, options, fullName, flash, formValues, fmtDateTime, orgTimezone,
} from "/static/js/app.js";
import { statusBadge, statusButtons, loadUsagers } from "/static/js/rdv.js";

const PER_PAGE = 25;

run(async (me) => {
  const tz = orgTimezone(me);
  const [agents, services, motifs, lieux] = await Promise.all([
    listAll("/agents"), listAll("/services"), listAll("/motifs"), listAll("/lieux")]);
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
    form.querySelector(".actions").prepend(el("span.badge", { style: "background:#000091" }, "Filtré sur un usager"), " ",
      el("a", { href: "/rdvs" }, "Retirer ce filtre"));
  }
  const filters = () => Object.fromEntries(Object.entries({ ...formValues(form), usager_id: usagerId }).filter(([, v]) => v));

  async function load() {
    const f = filters();
    history.replaceState(null, "", "?" + new URLSearchParams({ ...f, page }).toString());
    const data = await api("GET", "/rdvs", undefined, { query: { ...f, page, per_page: PER_PAGE } });
    const items = data.items || [];
    await loadUsagers(items.flatMap((r) => r.usager_ids || []), usagers);
    const list = clear(document.getElementById("rdv-list"));
    document.getElementById("rdv-count").textContent = `${data.total ?? items.length} rendez-vous`;
    if (!items.length) list.append(el("p.empty", {}, "Aucun rendez-vous ne correspond à ces filtres."));
    else list.append(el("div.table-wrap", {}, el("table", {},
      el("thead", {}, el("tr", {}, ["Date", "Usager(s)", "Motif", "Lieu", "Agent(s)", "Statut", "Changer le statut"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, items.map(row)))));
    const pages = Math.max(1, Math.ceil((data.total || 0) / PER_PAGE));
    const pager = clear(document.getElementById("pagination"));
    if (pages > 1) pager.append(
      el("button.button.secondary.small", { type: "button", disabled: page <= 1, onclick: () => { page--; load(); } }, "Précédent"),
      el("span", {}, `Page ${page} sur ${pages}`),
      el("button.button.secondary.small", { type: "button", disabled: page >= pages, onclick: () => { page++; load(); } }, "Suivant"));
  }

  function row(r) {
    const tr = el("tr", { dataset: { rdvId: r.id } },
      el("td", {}, fmtDateTime(r.starts_at, tz)),
      el("td", {}, (r.usager_ids || []).map((id) => usagers[id]
        ? el("a", { href: `/usagers/${id}` }, fullName(usagers[id])) : "usager").flatMap((x, i) => (i ? [", ", x] : [x]))),
      el("td", {}, (motifsById[r.motif_id] || {}).name || "—"),
      el("td", {}, (lieuxById[r.lieu_id] || {}).name || "—"),
      el("td", {}, (r.agent_ids || []).map((id) => fullName(agentsById[id])).join(", ")),
      el("td", {}, statusBadge(r)),
      el("td", {}, el("div.actions", {}, statusButtons(r, {
        small: true,
        onDone: (updated) => {
          tr.replaceWith(row(updated));
          flash(`Statut du RDV du ${fmtDateTime(updated.starts_at, tz)} mis à jour.`);
        },
        onError: (e) => flash(e.message, "error"),
      }))));
    return tr;
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    page = 1;
    load().catch((err) => flash(err.message, "error"));
  });

  document.getElementById("export-xlsx").addEventListener("click", async (ev) => {
    ev.target.disabled = true;
    try {
      await api("POST", "/exports", { kind: "rdvs", filters: filters() });
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
