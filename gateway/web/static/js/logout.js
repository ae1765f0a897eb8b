import { logout } from "/static/js/app.js";

logout();
