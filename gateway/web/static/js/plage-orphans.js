// Deleting or shortening a plage that holds RDVs: ask the server what would be left outside every plage
// (dry_run), list those RDVs and let the agent keep them or cancel them (the usagers are told).
import { api, el, fmtDateTime, fmtTime, fullName } from "/static/js/app.js";
import { openDialog, confirmAction } from "/static/js/dialogs.js";
import { loadUsagers } from "/static/js/rdv.js";

// Run `write()` (the real PATCH or DELETE) after the dry run `preview()` (answers {plage, rdvs_orphaned}).
// Without orphaned RDVs: `confirmText` (if any) is asked first. With some: the agent chooses.
// Resolves with {done: bool, result, cancelled: n, failures: [text]}.
export async function writePlage({ preview, write, confirmText, confirmLabel, title, tz, motifs = {} }) {
  const dry = await preview();
  const orphans = (dry && dry.rdvs_orphaned) || [];
  if (!orphans.length) {
    if (confirmText && !(await confirmAction({ title, lines: [confirmText], confirmLabel, cancelLabel: "Ne rien faire",
      danger: true }))) return { done: false };
    return { done: true, result: await write(), cancelled: 0, failures: [] };
  }
  const usagers = await loadUsagers([...new Set(orphans.flatMap((r) => r.usager_ids || []))], {});
  return new Promise((resolve) => {
    let outcome = { done: false };
    const describe = (r) => `${fmtDateTime(r.starts_at, tz)} – ${fmtTime(r.ends_at, tz)} — ${
      (r.usager_ids || []).map((id) => fullName(usagers[id])).filter(Boolean).join(", ") || "sans usager"}${
      motifs[r.motif_id] ? ` (${motifs[r.motif_id].name})` : ""}`;
    const keep = el("button.button.secondary", { type: "button" }, "Les garder");
    const cancel = el("button.button.danger", { type: "button" }, "Les annuler et prévenir les usagers");
    const back = el("button.button.secondary", { type: "button", autofocus: true }, "Ne rien faire");
    const n = orphans.length;
    const handle = openDialog({
      title, className: "wide", onClose: () => resolve(outcome),
      content: [
        el("p", {}, n > 1 ? `${n} rendez-vous à venir ne seraient plus dans aucune plage d'ouverture :`
          : "Un rendez-vous à venir ne serait plus dans aucune plage d'ouverture :"),
        el("ul.orphans", {}, orphans.map((r) => el("li", {}, describe(r)))),
        el("p", {}, "Les garder : ils restent à leur horaire, hors plage. Les annuler : ils sont annulés par le service "
          + "et les usagers en sont prévenus."),
      ],
      actions: [keep, cancel, back],
    });
    const busy = (on) => [keep, cancel, back].forEach((b) => (b.disabled = on));
    back.addEventListener("click", () => handle.close());
    keep.addEventListener("click", async () => {
      busy(true);
      try {
        outcome = { done: true, result: await write(), cancelled: 0, failures: [] };
        handle.close();
      } catch (e) {
        busy(false);
        handle.showError(e.message);
      }
    });
    cancel.addEventListener("click", async () => {
      busy(true);
      let result;
      try {
        result = await write();
      } catch (e) {
        busy(false);
        handle.showError(e.message);
        return;
      }
      const failures = [];
      let cancelled = 0;
      for (const r of orphans) {
        try {
          await api("POST", `/rdvs/${r.id}/status`, { status: "revoked" });
          cancelled++;
        } catch (e) {
          failures.push(`${describe(r)} : ${e.message}`);
        }
      }
      outcome = { done: true, result, cancelled, failures };
      handle.close();
    });
  });
}
