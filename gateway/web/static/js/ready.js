// A page without data of its own (information pages, signed out): ready at once.
import { markReady } from "/static/js/app.js";

markReady();
