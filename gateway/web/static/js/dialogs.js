// Modal dialogs as the DSFR's modal component (<dialog class="fr-modal">). The DSFR's script shows and hides them
// (dsfr(node).modal.disclose() / .conceal()), keeps the focus inside while one is open, and closes it on Escape
// and on its header's close button. This module builds the markup, shows a dialog opened from another one in
// its place, and gives the focus back to the element that opened it.
import { el, clear } from "/static/js/app.js";

let counter = 0;
// The open dialogs, the visible one last. The DSFR shows one modal at a time (its ModalsGroup conceals the
// others): a confirmation opened from the RDV's dialog hides that dialog, which comes back when it closes.
const stack = [];

// The DSFR instantiates a modal when its observer sees the node added (a microtask or a frame later).
async function modalOf(node) {
  for (let i = 0; i < 300; i++) {
    const proxy = window.dsfr && window.dsfr(node);
    if (proxy && proxy.modal) return proxy.modal;
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  throw new Error("Le composant modale du DSFR ne s'est pas chargé.");
}

// Focus `target` once `dialog` is shown: a hidden element cannot take the focus, and the DSFR's focus trap
// first puts it on the close button (this runs after it, being asked later in the same frame).
function focusWhenShown(dialog, target) {
  let frames = 0;
  const attempt = () => {
    if (!dialog.isConnected || stack[stack.length - 1]?.dialog !== dialog) return;
    if (getComputedStyle(dialog).visibility !== "visible" && frames++ < 120) {
      requestAnimationFrame(attempt);
      return;
    }
    if (target && target.isConnected) target.focus();
  };
  requestAnimationFrame(attempt);
}

const COLUMNS = { wide: ".fr-col-12.fr-col-md-10.fr-col-lg-8", default: ".fr-col-12.fr-col-md-8.fr-col-lg-6" };

// Open a modal dialog titled `title` holding `content` (nodes); `actions` (buttons) go to its footer.
// Returns a handle; the dialog is removed when closed. `errorBox: false` for a dialog whose form has its own
// (errors next to what caused them). `className: "wide"` for a form or the RDV's details.
export function openDialog({ title, content = [], actions = [], className = "", onClose, errorBox = true } = {}) {
  const n = ++counter;
  const id = `dialog-${n}`;
  const opener = document.activeElement;
  const heading = el("h2.fr-modal__title", { id: `${id}-title`, tabindex: "-1" }, title);
  const error = el("div.error-box", { role: "alert", tabindex: "-1", hidden: true });
  const close = el("button.fr-btn--close.fr-btn", { type: "button", "aria-controls": id, title: "Fermer" }, "Fermer");
  const body = el("div.fr-modal__content", {}, heading, errorBox ? error : null, ...content);
  const footer = actions.length ? el("div.fr-modal__footer", {}, el("div.fr-btns-group.fr-btns-group--right"
    + ".fr-btns-group--inline-reverse.fr-btns-group--inline-lg", {}, actions)) : null;
  // A stray click on the backdrop must not lose what the agent typed: only the buttons and Escape close it.
  const dialog = el(`dialog.fr-modal${className ? "." + className : ""}`, {
    id, "aria-labelledby": heading.id, "data-fr-concealing-backdrop": "false" },
  el("div.fr-container.fr-container--fluid.fr-container-md", {}, el("div.fr-grid-row.fr-grid-row--center", {},
    el(`div${COLUMNS[className] || COLUMNS.default}`, {}, el("div.fr-modal__body", {},
      el("div.fr-modal__header", {}, close), body, footer)))));
  // A button that opens the dialog controls it while it is open, as the DSFR's own opening buttons do.
  const controls = opener instanceof HTMLButtonElement && !opener.hasAttribute("aria-controls") ? opener : null;
  let modal = null;
  let state = "opening";
  const handle = {
    dialog, body, heading, suspended: false,
    close() {
      if (state === "opening") state = "closing";
      else if (state === "open" && modal) (modal.isDisclosed ? modal.conceal() : finish());
    },
    showError(message, extra = []) {
      clear(error).append(message, ...extra);
      error.hidden = false;
      error.focus();
    },
    clearError() { clear(error).hidden = true; },
    setTitle(text) { heading.textContent = text; },
  };

  function finish() {
    if (state === "closed") return;
    state = "closed";
    const at = stack.indexOf(handle);
    if (at >= 0) stack.splice(at, 1);
    dialog.remove();
    if (controls) controls.removeAttribute("aria-controls"), controls.removeAttribute("data-fr-opened");
    const below = stack[stack.length - 1];
    if (below && below.suspended) {
      below.suspended = false;
      below.show();
    }
    if (onClose) onClose();
    if (opener && opener.isConnected && typeof opener.focus === "function") {
      if (below) focusWhenShown(below.dialog, opener);
      else opener.focus();
    }
  }

  handle.show = () => { if (modal) modal.disclose(); };
  // The DSFR conceals a modal on Escape, on its close button, on conceal(), and when another one is disclosed
  // (the one below a stacked dialog: suspended, not closed). Finished after the DSFR's own conceal has run.
  dialog.addEventListener("dsfr.conceal", () => {
    if (!handle.suspended) queueMicrotask(finish);
  });

  // Tied before the dialog is added, so that the DSFR finds the button when it instantiates the modal.
  if (controls) {
    controls.setAttribute("aria-controls", id);
    controls.setAttribute("data-fr-opened", "false");
  }
  document.body.append(dialog);
  const below = stack[stack.length - 1];
  stack.push(handle);
  modalOf(dialog).then((m) => {
    modal = m;
    if (state === "closing") return finish();
    state = "open";
    if (below) below.suspended = true;
    modal.disclose();
    focusWhenShown(dialog, dialog.querySelector("[autofocus]") || heading);
  }, (e) => {
    finish();
    throw e;
  });
  return handle;
}

// Ask before doing something. `lines`: sentences or nodes. `action(state)` runs on confirmation, inside the
// dialog: its error is shown there (the dialog stays open); `onError(err, handle)` may adapt it (e.g. offer
// "quand même" by setting handle.state and handle.setConfirmLabel) and return true. Resolves with the
// action's result, or null when the agent declines (button, Escape).
export function confirmAction({ title, lines = [], confirmLabel, cancelLabel = "Ne rien changer", danger = false,
  action = async () => true, onError, content = [] }) {
  return new Promise((resolve) => {
    let done = false;
    const confirm = el(`button.button${danger ? ".danger" : ""}`, { type: "button", dataset: { role: "confirm" } }, confirmLabel);
    const cancel = el("button.button.secondary", { type: "button", autofocus: true }, cancelLabel);
    const handle = openDialog({
      title, className: "confirm",
      content: [...lines.map((l) => (l instanceof Node ? l : el("p", {}, l))), ...content],
      actions: [confirm, cancel],
      onClose: () => { if (!done) resolve(null); },
    });
    handle.state = {};
    handle.setConfirmLabel = (text) => { confirm.textContent = text; };
    cancel.addEventListener("click", () => handle.close());
    confirm.addEventListener("click", async () => {
      handle.clearError();
      confirm.disabled = cancel.disabled = true;
      try {
        const result = await action(handle.state, handle);
        done = true;
        handle.close();
        resolve(result === undefined ? true : result);
      } catch (e) {
        confirm.disabled = cancel.disabled = false;
        if (!(onError && onError(e, handle))) handle.showError(e.message || String(e));
      }
    });
  });
}
