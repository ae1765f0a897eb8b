// A page without data of its own for a signed-in agent (information pages): fill the header, never redirect.
import { api, fillLayout, markReady } from "/static/js/app.js";

api("GET", "/me", undefined, { redirectOn401: false })
  .then(fillLayout)
  .catch(() => { /* an expired session: the page stays readable */ })
  .finally(markReady);
