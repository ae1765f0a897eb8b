import { api, markReady, showFormError, clearFormError, formValues } from "/static/js/app.js";

const form = document.getElementById("login-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearFormError(form);
  const { email, password } = formValues(form);
  if (!email || !password) {
    showFormError(form, new Error("Renseignez votre adresse e-mail et votre mot de passe."));
    return;
  }
  try {
    await api("POST", "/auth/login", { email, password }, { redirectOn401: false });
    const next = new URLSearchParams(location.search).get("next");
    location.href = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
  } catch (e) {
    showFormError(form, e);
    document.getElementById("password").value = "";
  }
});

markReady();
