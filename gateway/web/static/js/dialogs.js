// Modal dialogs built on <dialog>: focus inside while open (showModal), Escape closes, focus back to the opener.
import { el, clear } from "/static/js/app.js";

let counter = 0;

// Open a modal dialog titled `title` holding `content` (nodes). Returns a handle; the dialog is removed when closed.
// `errorBox: false` for a dialog whose form has its own (errors next to what caused them).
export function openDialog({ title, content = [], className = "", onClose, errorBox = true } = {}) {
  const n = ++counter;
  const opener = document.activeElement;
  const heading = el("h2", { id: `dialog-${n}-title`, tabindex: "-1" }, title);
  const error = el("div.error-box", { role: "alert", tabindex: "-1", hidden: true });
  const body = el("div.dialog-body", {}, heading, errorBox ? error : null, ...content);
  const dialog = el(`dialog${className ? "." + className : ""}`, { "aria-labelledby": heading.id }, body);
  document.body.append(dialog);
  const handle = {
    dialog, body, heading,
    close() { if (dialog.open) dialog.close(); },
    showError(message, extra = []) {
      clear(error).append(message, ...extra);
      error.hidden = false;
      error.focus();
    },
    clearError() { clear(error).hidden = true; },
    setTitle(text) { heading.textContent = text; },
  };
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (onClose) onClose();
    if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
  });
  dialog.showModal();
  const first = dialog.querySelector("[autofocus]");
  (first || heading).focus();
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
      content: [...lines.map((l) => (l instanceof Node ? l : el("p", {}, l))), ...content,
        el("div.actions", {}, confirm, cancel)],
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
