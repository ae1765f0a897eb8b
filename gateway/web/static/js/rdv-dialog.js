// The RDV dialog (agenda, Liste des RDV, fiche usager): details, allowed statuses, "Modifier", the usagers'
// fiches and the notifications sent.
import { el, fullName } from "/static/js/app.js";
import { openDialog } from "/static/js/dialogs.js";
import { rdvDetails } from "/static/js/rdv.js";
import { statusButtons } from "/static/js/rdv-status.js";
import { editRdv } from "/static/js/rdv-edit.js";
import { notificationsSection } from "/static/js/notify.js";

// ctx: {tz, motifs, lieux, agents (by id), agentList, lieuList, usagers (by id), onChanged(rdv)}.
// `readonly`: an RDV the caller may not change (a colleague's, seen in their agenda): details only.
// `onClose()` when the dialog is closed. Its header's button closes it (« Fermer »).
export function openRdvDialog(rdv, ctx, { readonly = false, onClose } = {}) {
  const holder = el("div.rdv-dialog-content");
  const handle = openDialog({ title: "Rendez-vous", content: [holder], className: "wide", onClose });
  handle.dialog.dataset.rdvId = rdv.id;

  function render(current) {
    handle.clearError();
    const content = [el("dl.details", {}, rdvDetails(current, ctx))];
    if (!readonly) {
      const changed = (updated) => {
        render(updated);
        handle.heading.focus(); // the button used is gone: keep the focus in the dialog
        if (ctx.onChanged) ctx.onChanged(updated);
      };
      const buttons = statusButtons(current, { usagers: ctx.usagers, tz: ctx.tz, onDone: changed,
        onError: (e) => handle.showError(e.message) });
      const labelId = `status-label-${current.id}`;
      content.push(el("p.label", { id: labelId }, "Changer le statut"),
        buttons.length
          ? el("div.actions", { role: "group", "aria-labelledby": labelId }, buttons)
          : el("p.muted.small", {}, "Aucun changement de statut possible pour l'instant."));
      content.push(el("div.actions", {},
        el("button.button.secondary", { type: "button", "aria-haspopup": "dialog", onclick: async () => {
          const updated = await editRdv(current, { agents: ctx.agentList || Object.values(ctx.agents || {}),
            lieux: ctx.lieuList || Object.values(ctx.lieux || {}), usagers: ctx.usagers, tz: ctx.tz });
          if (updated) changed(updated);
        } }, "Modifier"),
        (current.usager_ids || []).map((id) => el("a.button.secondary", { href: `/usagers/${id}` },
          `Fiche de ${fullName((ctx.usagers || {})[id]) || "l'usager"}`))));
      content.push(notificationsSection(current, ctx.tz));
    }
    holder.replaceChildren(...content);
  }
  render(rdv);
  return handle;
}
