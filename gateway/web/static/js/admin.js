// Administration: organisation (zone, « publier en ligne »), the lists of services, agents, motifs, lieux, and webhooks.
import {
  api, run, listAll, byId, el, clear, flash, clearFlash, showFormError, clearFormError, formValues, fullName, LOCATION_TYPES,
} from "/static/js/app.js";
import { webhooks } from "/static/js/admin-webhooks.js";
import { confirmAction } from "/static/js/dialogs.js";

const ZONES = {
  metropole: "Métropole", "alsace-moselle": "Alsace-Moselle", guadeloupe: "Guadeloupe", martinique: "Martinique",
  guyane: "Guyane", "la-reunion": "La Réunion", mayotte: "Mayotte",
};
const OBSERVANCES = {
  local: "Jours fériés légaux et jours chômés localement", statutory: "Jours fériés légaux seulement",
};
const TIMEZONES = ["Europe/Paris", "America/Guadeloupe", "America/Martinique", "America/Cayenne", "Indian/Reunion", "Indian/Mayotte"];

run(async (me) => {
  const root = document.getElementById("admin");
  if (me.role !== "admin") {
    root.append(el("p.notice.error", {}, "Cette page est réservée aux administrateurs de l'organisation."));
    return;
  }
  const section = root.dataset.section;
  if (section === "organisation") return organisation(root);
  if (section === "webhooks") return webhooks(root, me);
  const services = await listAll("/services");
  const serviceOptions = services.map((s) => [s.id, s.name]);
  const RESOURCES = {
    services: {
      path: "/services", singular: "service", title: "Services",
      columns: [["Nom", (x) => x.name], ["Abréviation", (x) => x.short_name || ""]],
      fields: [{ name: "name", label: "Nom" }, { name: "short_name", label: "Abréviation", required: false }],
    },
    agents: {
      path: "/agents", singular: "agent", title: "Agents",
      columns: [["Nom", fullName], ["E-mail", (x) => x.email], ["Rôle", (x) => (x.role === "admin" ? "Administrateur" : "Agent")],
        ["Services", (x) => (x.service_ids || []).map((id) => (services.find((s) => s.id === id) || {}).name).filter(Boolean).join(", ")]],
      fields: [
        { name: "first_name", label: "Prénom" }, { name: "last_name", label: "Nom" },
        { name: "email", label: "Adresse e-mail", type: "email" },
        { name: "password", label: "Mot de passe", type: "password", hint: "12 caractères au moins, avec un chiffre, une majuscule et un symbole ; laissez vide pour ne pas le changer", required: false, createOnly: false, skipEmpty: true },
        { name: "role", label: "Rôle", type: "select", options: [["basic", "Agent"], ["admin", "Administrateur"]] },
        { name: "service_ids", label: "Services", type: "checkboxes", options: serviceOptions },
      ],
    },
    motifs: {
      path: "/motifs", singular: "motif", title: "Motifs",
      columns: [["Nom", (x) => x.name], ["Service", (x) => (services.find((s) => s.id === x.service_id) || {}).name || ""],
        ["Durée", (x) => `${x.duration_minutes} min`], ["Type", (x) => LOCATION_TYPES[x.location_type] || x.location_type],
        ["En ligne", (x) => (x.reservable_online ? "Oui" : "Non")]],
      fields: [
        { name: "name", label: "Nom" },
        { name: "service_id", label: "Service", type: "select", options: serviceOptions },
        { name: "duration_minutes", label: "Durée (minutes)", type: "number", min: 5, max: 480, value: 30 },
        { name: "location_type", label: "Type de lieu", type: "select", options: Object.entries(LOCATION_TYPES) },
        { name: "color", label: "Couleur", type: "color", required: false, value: "#1f6f8b" },
        { name: "reservable_online", label: "Réservable en ligne par les usagers", type: "checkbox" },
        { name: "min_booking_delay_minutes", label: "Délai minimum de réservation (minutes)", type: "number", min: 0, value: 30 },
        { name: "max_booking_delay_days", label: "Délai maximum de réservation (jours)", type: "number", min: 1, value: 90 },
      ],
    },
    lieux: {
      path: "/lieux", singular: "lieu", title: "Lieux",
      columns: [["Nom", (x) => x.name], ["Adresse", (x) => x.address], ["Téléphone", (x) => x.phone || ""]],
      fields: [{ name: "name", label: "Nom" }, { name: "address", label: "Adresse" },
        { name: "phone", label: "Téléphone", type: "tel", required: false }],
    },
  };
  await crud(root, RESOURCES[section], me);
});

async function organisation(root) {
  const org = await api("GET", "/organisation");
  const form = el("form.card.narrow#organisation-form", { novalidate: true },
    el("div.error-box", { role: "alert", tabindex: "-1", hidden: true }),
    field({ name: "name", label: "Nom de l'organisation" }, org.name),
    field({ name: "timezone", label: "Fuseau horaire", type: "select", options: TIMEZONES.map((t) => [t, t]) }, org.timezone),
    field({ name: "holiday_zone", label: "Zone des jours fériés", type: "select", options: Object.entries(ZONES) }, org.holiday_zone),
    field({ name: "holiday_observances", label: "Jours fériés qui ferment les agendas", type: "select", options: Object.entries(OBSERVANCES),
      hint: "En Guadeloupe et en Martinique, des jours chômés localement ne sont pas fériés selon la loi (Mi-Carême, Vendredi saint en Guadeloupe, 21 juillet)." },
    org.holiday_observances),
    field({ name: "contact_email", label: "Adresse e-mail de contact", type: "email", required: false,
      hint: "les réponses des usagers aux e-mails de rdv y arrivent ; laissez vide pour ne pas en indiquer" }, org.contact_email),
    field({ name: "publish_online", label: "Publier en ligne : les usagers prennent rendez-vous eux-mêmes", type: "checkbox" }, org.publish_online),
    el("p.small", {}, "Page publique : ", el("a#public-link", { href: `/prendre-rdv/${org.slug}` }, `${location.origin}/prendre-rdv/${org.slug}`)),
    el("button.button", { type: "submit" }, "Enregistrer"));
  root.append(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFormError(form);
    try {
      const saved = await api("PATCH", "/organisation", formValues(form));
      document.getElementById("org-name").textContent = saved.name;
      flash(saved.publish_online ? "Organisation enregistrée ; ses créneaux sont publiés en ligne." : "Organisation enregistrée.");
    } catch (e) {
      showFormError(form, e);
    }
  });
}

let fieldCounter = 0;
function field(spec, value) {
  const id = `fld-${spec.name}-${++fieldCounter}`;
  const required = spec.required !== false;
  const label = el("label", { for: id }, spec.label, spec.hint ? el("span.hint", {}, ` (${spec.hint})`) : null);
  if (spec.type === "select") {
    const select = el("select", { id, name: spec.name, required }, spec.options.map(([v, l]) => el("option", { value: v }, l)));
    if (value !== undefined && value !== null) select.value = value;
    return el("div.field", {}, label, select);
  }
  if (spec.type === "checkbox") {
    return el("div.field.checks", {}, el("label", { for: id }, el("input", { type: "checkbox", id, name: spec.name, checked: !!value }), spec.label));
  }
  if (spec.type === "checkboxes") {
    return el("fieldset", {}, el("legend", {}, spec.label), el("div.checks", {}, spec.options.map(([v, l], i) => el("label", { for: `${id}-${i}` },
      el("input", { type: "checkbox", id: `${id}-${i}`, name: spec.name, value: v, "data-multi": true, checked: (value || []).includes(v) }), l))));
  }
  const input = el("input", { id, name: spec.name, type: spec.type || "text", required, min: spec.min, max: spec.max,
    autocomplete: spec.type === "password" ? "new-password" : "off" });
  input.value = value ?? spec.value ?? "";
  return el("div.field", {}, label, input);
}

async function crud(root, res, me) {
  let editing = null;
  const listBox = el("div");
  const formBox = el("div");
  root.append(el("div.split", {}, el("section", { "aria-label": res.title }, listBox), el("section", {}, formBox)));

  function renderForm(item) {
    editing = item;
    const form = el(`form.card#${res.singular}-form`, { novalidate: true },
      el("h2", {}, item ? `Modifier ${res.singular === "agent" ? "l'agent" : `le ${res.singular}`} « ${item.name || fullName(item)} »` : `Nouveau ${res.singular}`),
      el("div.error-box", { role: "alert", tabindex: "-1", hidden: true }),
      res.fields.map((f) => field(f, item ? item[f.name] : f.value)),
      el("div.actions", {}, el("button.button", { type: "submit" }, "Enregistrer"),
        item ? el("button.button.secondary", { type: "button", onclick: () => renderForm(null) }, "Annuler") : null));
    clear(formBox).append(form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearFormError(form);
      clearFlash();
      const body = formValues(form);
      for (const f of res.fields) {
        if (f.type === "number" && body[f.name] !== "") body[f.name] = Number(body[f.name]);
        if ((f.skipEmpty || f.required === false) && body[f.name] === "") {
          if (f.skipEmpty) delete body[f.name];
          else body[f.name] = null;
        }
      }
      try {
        if (editing) await api("PATCH", `${res.path}/${editing.id}`, body);
        else await api("POST", res.path, body);
        flash(editing ? "Modifications enregistrées." : `${res.singular[0].toUpperCase()}${res.singular.slice(1)} créé.`);
        renderForm(null);
        await refresh();
      } catch (e) {
        showFormError(form, e);
      }
    });
  }

  async function refresh() {
    const items = await listAll(res.path);
    clear(listBox).append(el("h2", {}, res.title));
    if (!items.length) return listBox.append(el("p.empty", {}, "Aucun élément."));
    listBox.append(el("div.table-wrap", {}, el("table", {},
      el("thead", {}, el("tr", {}, [...res.columns.map(([h]) => h), "Actions"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, items.map((x) => el("tr", {},
        res.columns.map(([, f]) => el("td", {}, f(x))),
        el("td", {}, el("div.actions", {},
          el("button.button.secondary.small", { type: "button", onclick: () => renderForm(x) }, "Modifier"),
          x.id === me.id ? null : el("button.button.danger.small", { type: "button", "aria-haspopup": "dialog", onclick: async () => {
            const done = await confirmAction({ title: `Supprimer « ${res.columns[0][1](x)} » ?`,
              confirmLabel: "Supprimer", danger: true,
              action: async () => { await api("DELETE", `${res.path}/${x.id}`); return true; } });
            if (!done) return;
            flash("Élément supprimé.");
            await refresh();
          } }, "Supprimer")))))))));
  }
  renderForm(null);
  await refresh();
}
