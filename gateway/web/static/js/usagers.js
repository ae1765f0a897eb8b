// Usagers: search as you type, paginated; a row opens the fiche.
import { api, run, el, clear, fullName, fmtDay, debounce, fmtPhone } from "/static/js/app.js";

run(async () => {
  const form = document.getElementById("usagers-search");
  const list = document.getElementById("usagers-list");
  const pager = document.getElementById("pagination");
  const params = new URLSearchParams(location.search);
  form.q.value = params.get("q") || "";
  form.scope.value = params.get("scope") || "service";
  let page = 1;

  async function load() {
    const query = { q: form.q.value.trim(), scope: form.scope.value, page, per_page: 25 };
    history.replaceState(null, "", `?q=${encodeURIComponent(query.q)}&scope=${query.scope}`);
    const data = await api("GET", "/usagers", undefined, { query });
    clear(list);
    clear(pager);
    const items = data.items || [];
    if (!items.length) {
      list.append(el("p.empty", {}, query.q ? "Aucun usager ne correspond à cette recherche." : "Aucun usager."));
      return;
    }
    list.append(el("div.table-wrap", {}, el("table", {},
      el("thead", {}, el("tr", {}, ["Nom", "Date de naissance", "Téléphone", "E-mail"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, items.map((u) => el("tr", {},
        el("td", {}, el("a", { href: `/usagers/${u.id}` }, `${(u.last_name || "").toUpperCase()} ${u.first_name || ""}`)),
        el("td", {}, u.birth_date ? fmtDay(u.birth_date) : "—"),
        el("td", {}, fmtPhone(u.phone) || "—"),
        el("td", {}, u.email || "—")))))));
    const pages = Math.max(1, Math.ceil((data.total || items.length) / (data.per_page || 25)));
    if (pages > 1) {
      pager.append(
        el("button.button.secondary.small", { type: "button", disabled: page <= 1, onclick: () => { page--; load(); } }, "Précédent"),
        el("span", {}, `Page ${page} sur ${pages}`),
        el("button.button.secondary.small", { type: "button", disabled: page >= pages, onclick: () => { page++; load(); } }, "Suivant"));
    }
  }
  const reload = debounce(() => { page = 1; load().catch((e) => clear(list).append(el("p.notice.error", {}, e.message))); }, 250);
  form.q.addEventListener("input", reload);
  form.scope.addEventListener("change", reload);
  form.addEventListener("submit", (e) => { e.preventDefault(); reload(); });
  await load();
});
