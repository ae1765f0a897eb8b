// Administration > Webhooks: endpoints of the organisation, their secret (shown once), the test ping, the
// delivery log, re-enabling after automatic disabling, deletion.
import { api, listAll, el, clear, flash, showFormError, clearFormError, formValues, fmtDateTime, orgTimezone } from "/static/js/app.js";
import { confirmAction } from "/static/js/dialogs.js";

const EVENTS = {
  "rdv.created": "RDV créé", "rdv.updated": "RDV modifié", "rdv.cancelled": "RDV annulé",
  "rdv.status_changed": "Statut d'un RDV changé", "usager.updated": "Usager modifié",
};
const DELIVERY = { pending: "En attente", delivered: "Livré", failed: "Échec" };

export async function webhooks(root, me) {
  const tz = orgTimezone(me);
  const listBox = el("section", { "aria-label": "Webhooks" });
  const sideBox = el("section");
  root.append(el("div.split", {}, listBox, sideBox));

  const form = el("form.card#webhook-form", { novalidate: true },
    el("h2", {}, "Nouveau webhook"),
    el("div.error-box", { role: "alert", tabindex: "-1", hidden: true }),
    el("div.field", {}, el("label", { for: "wh-url" }, "Adresse (URL https://)"),
      el("input", { id: "wh-url", name: "url", type: "url", required: true, autocomplete: "off" })),
    el("fieldset", {}, el("legend", {}, "Événements envoyés"), el("div.checks", {}, Object.entries(EVENTS).map(([v, l], i) =>
      el("label", { for: `wh-ev-${i}` }, el("input", { type: "checkbox", id: `wh-ev-${i}`, name: "events", value: v, "data-multi": true }), l)))),
    el("div.field.checks", {}, el("label", { for: "wh-pseudo" },
      el("input", { type: "checkbox", id: "wh-pseudo", name: "pseudonymised" }), "Version pseudonymisée (sans noms, téléphones ni e-mails)")),
    el("div.actions", {}, el("button.button", { type: "submit" }, "Créer le webhook")));
  sideBox.append(form);
  const detail = el("div#webhook-detail", { "aria-live": "polite" });
  sideBox.append(detail);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormError(form);
    try {
      const hook = await api("POST", "/webhooks", formValues(form));
      form.reset();
      clear(detail).append(el("div.card", {}, el("h2", {}, "Secret du webhook"),
        el("p", {}, "Copiez-le maintenant : il ne sera plus affiché. Il signe chaque envoi (en-tête X-Rdv-Signature)."),
        el("p", {}, el("code#webhook-secret", {}, hook.secret))));
      flash("Webhook créé.", "success", { near: form });
      await refresh();
    } catch (e) {
      showFormError(form, e);
    }
  });

  async function act(run, message) {
    try {
      await run();
      if (message) flash(message);
      await refresh();
    } catch (e) { flash(e.message, "error"); }
  }

  async function showLog(hook) {
    const data = await api("GET", `/webhooks/${hook.id}/deliveries`, undefined, { query: { per_page: 50 } });
    clear(detail).append(el("div.card", {}, el("h2", {}, `Journal des livraisons — ${hook.url}`),
      data.items.length ? el("div.table-wrap", {}, el("table", {},
        el("thead", {}, el("tr", {}, ["Créée le", "Événement", "État", "Tentatives", "Code", "Erreur"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, data.items.map((d) => el("tr", {},
          el("td", {}, fmtDateTime(d.created_at, tz)), el("td", {}, EVENTS[d.event] || d.event),
          el("td", {}, DELIVERY[d.status] || d.status), el("td", {}, d.attempt),
          el("td", {}, d.status_code ?? "—"), el("td", {}, d.error || "—")))))) : el("p.empty", {}, "Aucune livraison.")));
  }

  async function refresh() {
    const items = await listAll("/webhooks");
    clear(listBox).append(el("h2", {}, "Webhooks"),
      el("p.muted.small", {}, "Chaque événement choisi est envoyé (POST JSON signé) à l'adresse, puis renvoyé pendant 24 h en cas d'échec ; au-delà, le webhook est désactivé et les administrateurs prévenus par e-mail."));
    if (!items.length) return listBox.append(el("p.empty", {}, "Aucun webhook."));
    listBox.append(el("div.table-wrap", {}, el("table", {},
      el("thead", {}, el("tr", {}, ["Adresse", "Événements", "État", "Actions"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, items.map((h) => el("tr", { dataset: { webhookId: h.id } },
        el("td", {}, h.url, h.pseudonymised ? el("div.small.muted", {}, "pseudonymisé") : null),
        el("td", {}, Object.keys(EVENTS).filter((e) => h.events.includes(e)).map((e) => EVENTS[e]).join(", ")),
        el("td", {}, h.active ? "Actif" : `Désactivé${h.disabled_at ? ` le ${fmtDateTime(h.disabled_at, tz)}` : ""}`),
        el("td", {}, el("div.actions", {},
          el("button.button.secondary.small", { type: "button", onclick: () => act(() => api("POST", `/webhooks/${h.id}/test`),
            "Événement de test envoyé ; voyez le journal.") }, "Envoyer un test"),
          el("button.button.secondary.small", { type: "button", onclick: () => showLog(h).catch((e) => flash(e.message, "error")) }, "Journal"),
          el("button.button.secondary.small", { type: "button", onclick: () => act(() => api("PATCH", `/webhooks/${h.id}`, { active: !h.active }),
            h.active ? "Webhook désactivé." : "Webhook réactivé.") }, h.active ? "Désactiver" : "Réactiver"),
          el("button.button.danger.small", { type: "button", onclick: async () => {
            const done = await confirmAction({ title: "Supprimer ce webhook ?", lines: [h.url, "Plus aucun événement ne lui sera envoyé."],
              confirmLabel: "Supprimer", danger: true,
              action: async () => { await api("DELETE", `/webhooks/${h.id}`); return true; } });
            if (done) act(async () => clear(detail), "Webhook supprimé.");
          } }, "Supprimer")))))))));
  }
  await refresh();
}
