// Fiche usager: information, relatives, upcoming and past RDVs, statistics.
import { api, run, listAll, byId, el, clear, fullName, fmtDay, fmtDateTime, orgTimezone, STATUS_LABELS, fmtPhone,
  flash, showFormError, clearFormError, formValues } from "/static/js/app.js";
import { statusBadge, loadUsagers } from "/static/js/rdv.js";
import { openRdvDialog } from "/static/js/rdv-dialog.js";
import { initClock } from "/static/js/notify.js";

run(async (me) => {
  const box = document.getElementById("fiche");
  const [motifs, lieux, agents] = await Promise.all([listAll("/motifs"), listAll("/lieux"), listAll("/agents"), initClock()]);
  await render(me, box, motifs, lieux, agents);
});

async function render(me, box, motifs, lieux, agents) {
  const tz = orgTimezone(me);
  const fiche = await api("GET", `/usagers/${box.dataset.usagerId}`);
  const motifsById = byId(motifs);
  const lieuxById = byId(lieux);
  const agentsById = byId(agents);
  const u = fiche.usager || fiche;
  document.querySelector("h1").textContent = fullName(u);
  document.title = `${fullName(u)} — rdv`;

  const info = [
    ["Prénom", u.first_name], ["Nom", u.last_name], ["Nom de naissance", u.birth_name],
    ["Date de naissance", u.birth_date ? fmtDay(u.birth_date) : null], ["Téléphone", fmtPhone(u.phone)], ["E-mail", u.email],
    ["Adresse", u.address],
    ["Notifications", [u.notify_by_sms ? "SMS" : null, u.notify_by_email ? "e-mail" : null].filter(Boolean).join(" et ") || "aucune"],
  ].filter(([, v]) => v);
  const stats = fiche.stats || {};
  // Each RDV opens the RDV dialog (statuses, « Modifier », cancellation, notifications) with booking's full RDV;
  // the fiche is drawn again when the dialog closes after a change.
  const usagers = { [u.id]: u };
  const openRdv = async (r, button) => {
    button.disabled = true;
    try {
      const rdv = await api("GET", `/rdvs/${r.id}`);
      await loadUsagers(rdv.usager_ids || [], usagers);
      let changed = false;
      openRdvDialog(rdv, { tz, motifs: motifsById, lieux: lieuxById, agents: agentsById, agentList: agents,
        lieuList: lieux, usagers, onChanged: () => (changed = true) },
      { onClose: () => { if (changed) render(me, box, motifs, lieux, agents); } });
    } catch (e) {
      flash(e.message, "error");
    } finally {
      button.disabled = false;
    }
  };
  const rdvTable = (rdvs, empty) => rdvs.length ? el("div.table-wrap", {}, el("table", {},
    el("thead", {}, el("tr", {}, ["Date", "Motif", "Lieu", "Agent(s)", "Statut", "Actions"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rdvs.map((r) => el("tr", { dataset: { rdvId: r.id } },
      el("td", {}, fmtDateTime(r.starts_at, tz)),
      el("td", {}, (motifsById[r.motif_id] || {}).name || "—"),
      el("td", {}, (lieuxById[r.lieu_id] || {}).name || "—"),
      el("td", {}, (r.agent_ids || []).map((id) => fullName(agentsById[id])).join(", ")),
      el("td", {}, statusBadge(r)),
      el("td", {}, el("button.button.secondary.small", { type: "button", "aria-haspopup": "dialog",
        "aria-label": `Ouvrir le RDV du ${fmtDateTime(r.starts_at, tz)}`, onclick: (ev) => openRdv(r, ev.currentTarget) },
        "Ouvrir"))))))) : el("p.empty", {}, empty);

  clear(box).append(
    el("div.split", {},
      el("section.card", { "aria-labelledby": "info-title" }, el("h2", { id: "info-title" }, "Informations"),
        el("dl.details", {}, info.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
        editForm(u, () => render(me, box, motifs, lieux, agents))),
      el("section.card", { "aria-labelledby": "proches-title" }, el("h2", { id: "proches-title" }, "Proches"),
        (fiche.relatives || []).length
          ? el("ul", {}, fiche.relatives.map((p) => el("li", {}, el("a", { href: `/usagers/${p.id}` }, fullName(p)),
              p.birth_date ? ` (né(e) le ${fmtDay(p.birth_date)})` : "")))
          : el("p.empty", {}, "Aucun proche."),
        relativeForm(u, () => render(me, box, motifs, lieux, agents)))),
    el("section", { "aria-labelledby": "stats-title" }, el("h2", { id: "stats-title" }, "Statistiques"),
      el("div.stat-cards", {}, [["total", "RDV au total"], ["a_venir", STATUS_LABELS.a_venir], ["a_renseigner", STATUS_LABELS.a_renseigner],
        ["seen", "Honorés"], ["noshow", "Absences non excusées"], ["excused", "Annulés par l'usager"], ["revoked", "Annulés par le service"]]
        .map(([k, label]) => el("div.stat-card", {}, el("strong", {}, String(stats[k] ?? 0)), label)))),
    el("p", {}, el("a", { href: `/rdvs?usager_id=${u.id}` }, "Voir ses rendez-vous dans la liste des RDV")),
    el("section", { "aria-labelledby": "upcoming-title" }, el("h2", { id: "upcoming-title" }, "Rendez-vous à venir"),
      rdvTable(fiche.rdvs_upcoming || [], "Aucun rendez-vous à venir.")),
    el("section", { "aria-labelledby": "past-title" }, el("h2", { id: "past-title" }, "Rendez-vous passés"),
      rdvTable(fiche.rdvs_past || [], "Aucun rendez-vous passé.")));
}

// "Ajouter un proche": an usager whose responsible is this one.
function relativeForm(u, onDone) {
  const form = el("form#relative-form", { novalidate: true },
    el("h3", {}, "Ajouter un proche"),
    el("div.error-box", { role: "alert", tabindex: "-1", hidden: true }),
    el("div.row", {},
      el("div.field", {}, el("label", { for: "r-first" }, "Prénom"), el("input#r-first", { name: "first_name", type: "text", required: true })),
      el("div.field", {}, el("label", { for: "r-last" }, "Nom"), el("input#r-last", { name: "last_name", type: "text", required: true, value: u.last_name || "" })),
      el("div.field", {}, el("label", { for: "r-birth" }, "Date de naissance"), el("input#r-birth", { name: "birth_date", type: "date" }))),
    el("button.button.secondary", { type: "submit" }, "Ajouter le proche"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormError(form);
    const v = formValues(form);
    const body = { first_name: v.first_name, last_name: v.last_name, responsible_id: u.id };
    if (v.birth_date) body.birth_date = v.birth_date;
    try {
      await api("POST", "/usagers", body);
      flash(`${v.first_name} ${v.last_name} est ajouté(e) aux proches de ${fullName(u)}.`);
      await onDone();
    } catch (e) {
      showFormError(form, e);
    }
  });
  return form;
}

// "Modifier ces informations": PATCH the usager (contact details drive the notifications).
function editForm(u, onDone) {
  const fields = [["first_name", "Prénom", "text"], ["last_name", "Nom", "text"], ["birth_name", "Nom de naissance", "text"],
    ["birth_date", "Date de naissance", "date"], ["phone", "Téléphone", "tel"], ["email", "E-mail", "email"],
    ["address", "Adresse", "text"]];
  const form = el("form#usager-edit-form", { novalidate: true, hidden: true },
    el("div.error-box", { role: "alert", tabindex: "-1", hidden: true }),
    fields.map(([name, label, type]) => el("div.field", {}, el("label", { for: `e-${name}` }, label),
      el(`input#e-${name}`, { name, type, value: name === "phone" ? fmtPhone(u[name]) : (u[name] || "") }))),
    el("div.checks.field", {},
      el("label", { for: "e-notify-sms" }, el("input#e-notify-sms", { type: "checkbox", name: "notify_by_sms", checked: !!u.notify_by_sms }), "Prévenir par SMS"),
      el("label", { for: "e-notify-email" }, el("input#e-notify-email", { type: "checkbox", name: "notify_by_email", checked: !!u.notify_by_email }), "Prévenir par e-mail")),
    el("button.button", { type: "submit" }, "Enregistrer"));
  const toggle = el("button.button.secondary.small", { type: "button", "aria-expanded": "false", "aria-controls": "usager-edit-form",
    onclick: () => {
      form.hidden = !form.hidden;
      toggle.setAttribute("aria-expanded", String(!form.hidden));
      if (!form.hidden) form.querySelector("input").focus();
    } }, "Modifier ces informations");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormError(form);
    const v = formValues(form);
    for (const k of ["birth_name", "birth_date", "phone", "email", "address"]) if (v[k] === "") v[k] = null;
    try {
      await api("PATCH", `/usagers/${u.id}`, v);
      flash("Informations de l'usager enregistrées.");
      await onDone();
    } catch (e) {
      showFormError(form, e);
    }
  });
  return el("div", {}, toggle, form);
}
