// « Mon compte »: the agent's calendar subscription (webcal:// link), names hidden or not, link renewed.
import { api, flash } from "/static/js/app.js";
import { confirmAction } from "/static/js/dialogs.js";

export async function setupCalendarFeed() {
  const box = document.getElementById("calendar-feed");
  if (!box) return;
  const url = document.getElementById("cf-url");
  const open = document.getElementById("cf-webcal");
  const hide = document.getElementById("cf-hide");
  const show = (feed) => {
    url.value = feed.webcal_url;
    open.href = feed.webcal_url;
    hide.checked = feed.hide_usager_names;
  };
  show(await api("GET", "/me/calendar-feed"));
  url.addEventListener("focus", () => url.select());
  hide.addEventListener("change", async () => {
    try {
      show(await api("PATCH", "/me/calendar-feed", { hide_usager_names: hide.checked }));
      flash(hide.checked ? "Les noms des usagers n'apparaîtront plus dans le calendrier." :
        "Les noms des usagers apparaîtront dans le calendrier.", "success", { near: box });
    } catch (e) {
      hide.checked = !hide.checked;
      flash(e.message, "error", { near: box });
    }
  });
  document.getElementById("cf-rotate").addEventListener("click", async () => {
    const feed = await confirmAction({
      title: "Renouveler le lien du calendrier ?",
      lines: ["L'ancien lien cessera de fonctionner immédiatement : les calendriers abonnés avec lui ne recevront plus vos RDV.",
        "Vous devrez vous abonner de nouveau avec le nouveau lien."],
      confirmLabel: "Renouveler le lien", danger: true,
      action: () => api("POST", "/me/calendar-feed/rotate"),
    });
    if (feed) {
      show(feed);
      flash("Nouveau lien créé ; l'ancien ne fonctionne plus.", "success", { near: box });
    }
  });
}
