// Mon compte: exports with live progress (poll) and download links; profile; password.
import { api, run, el, clear, flash, showFormError, clearFormError, formValues, fmtDateTime, orgTimezone, ApiError } from "/static/js/app.js";
import { setupCalendarFeed } from "/static/js/calendar-feed.js";

const EXPORT_STATUS = { pending: "En attente", running: "En cours", done: "Prêt", failed: "Échec" };

run(async (me) => {
  const tz = orgTimezone(me);
  let timer = null;

  async function loadExports() {
    const data = await api("GET", "/exports", undefined, { query: { per_page: 50 } });
    const items = Array.isArray(data) ? data : data.items || [];
    const box = clear(document.getElementById("exports-list"));
    if (!items.length) box.append(el("p.empty", {}, "Aucun export."));
    else box.append(el("div.table-wrap", {}, el("table", {},
      el("thead", {}, el("tr", {}, ["Demandé le", "Type", "État", "Lignes", "Fichier", "Expire le"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, items.map((x) => el("tr", { dataset: { exportId: x.id, status: x.status } },
        el("td", {}, fmtDateTime(x.created_at, tz)),
        el("td", {}, x.kind === "rdvs" ? "Liste des RDV" : x.kind),
        el("td", {}, EXPORT_STATUS[x.status] || x.status,
          ["pending", "running"].includes(x.status)
            ? el("progress.progress", { max: "100", value: String(x.progress || 0), "aria-label": `Progression ${x.progress || 0} %` }) : null),
        el("td", {}, x.rows ?? "—"),
        el("td", {}, x.status === "done"
          ? el("div", {}, el("a.button.small", { href: `/api/v1/exports/${x.id}/file`, download: x.filename || "",
              "aria-label": `Télécharger ${x.filename || "l'export"}` }, "Télécharger"), el("div.small.muted", {}, x.filename || ""))
          : "—"),
        el("td", {}, x.expires_at ? fmtDateTime(x.expires_at, tz) : "—")))))));
    const busy = items.some((x) => ["pending", "running"].includes(x.status));
    clearTimeout(timer);
    if (busy) timer = setTimeout(() => loadExports().catch((e) => flash(e.message, "error")), 1000);
  }

  const profile = document.getElementById("profile-form");
  profile.first_name.value = me.first_name || "";
  profile.last_name.value = me.last_name || "";
  profile.email.value = me.email || "";
  document.getElementById("pr-role").textContent =
    `Rôle : ${me.role === "admin" ? "administrateur" : "agent"}${me.organisation ? ` — ${me.organisation.name}` : ""}`;
  profile.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormError(profile);
    const { first_name, last_name, email } = formValues(profile);
    try {
      const updated = await api("PATCH", `/agents/${me.id}`, { first_name, last_name, email });
      document.getElementById("user-name").textContent = `${updated.first_name} ${updated.last_name}`;
      flash("Profil enregistré.", "success", { near: profile });
    } catch (e) {
      showFormError(profile, e);
    }
  });

  const pw = document.getElementById("password-form");
  pw.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormError(pw);
    const { password, password_confirmation } = formValues(pw);
    if (password !== password_confirmation) {
      showFormError(pw, new ApiError(422, { error: { code: "validation_error", message: "Les deux mots de passe ne sont pas identiques.",
        details: { fields: { password_confirmation: "Recopiez le même mot de passe." } } } }));
      return;
    }
    try {
      await api("PATCH", `/agents/${me.id}`, { password });
      pw.reset();
      flash("Mot de passe changé.", "success", { near: pw });
    } catch (e) {
      showFormError(pw, e);
    }
  });

  await Promise.all([loadExports(), setupCalendarFeed()]);
});
