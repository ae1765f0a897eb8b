"""Page shells of the agents' UI and of the public booking page (French, server-rendered).

Each page is a Jinja2 template plus a JS module of static/js/ that calls the documented /api/v1.
Pages for agents need the session cookie; without it they redirect to /login (the JS also does
on a 401 from /api/v1/me, e.g. an expired session).
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.entrypoints.auth.credentials import session_cookie
from gateway.web.public import catalogue
from shared.errors import NotFound
from shared.settings import rdv_env

router = APIRouter()
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

NAV = [
    ("agenda", "/", "Agenda"),
    ("trouver", "/trouver-un-rdv", "Trouver un RDV"),
    ("plages", "/plages", "Plages d'ouverture"),
    ("absences", "/absences", "Indisponibilités"),
    ("usagers", "/usagers", "Usagers"),
    ("rdvs", "/rdvs", "Liste des RDV"),
    ("statistiques", "/statistiques", "Statistiques"),
    ("compte", "/mon-compte", "Mon compte"),
]

ADMIN_SECTIONS = {
    "organisation": "Organisation",
    "services": "Services",
    "agents": "Agents",
    "motifs": "Motifs",
    "lieux": "Lieux",
    "webhooks": "Webhooks",
}


# The figures of the accessibility statement: what tests/browser/test_dsfr.py measures with axe-core on every
# page at both widths (that test fails when they differ).
AXE_FIGURES = {"version": "4.14.1", "desktop_width": 1366, "phone_width": 390, "pages": 36, "runs": 72,
               "critical": 0, "serious": 0}

INFO_PAGES = {
    "/accessibilite": ("accessibilite.html", "Déclaration d'accessibilité"),
    "/mentions-legales": ("mentions_legales.html", "Mentions légales"),
    "/donnees-personnelles": ("donnees_personnelles.html", "Données personnelles"),
}


def _page(request: Request, template: str, page: str, title: str, **context) -> Response:
    if session_cookie(request.scope) is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    return templates.TemplateResponse(request, template, {
        "page": page, "title": title, "nav": NAV, "admin_sections": ADMIN_SECTIONS,
        "dev_inbox": rdv_env() != "production", **context})


@router.get("/login")
async def login_page(request: Request) -> Response:
    """Log in."""
    return templates.TemplateResponse(request, "login.html", {"page": "login", "title": "Connexion"})


@router.get("/logout")
async def logout_page(request: Request) -> Response:
    """Log out (the page posts /api/v1/auth/logout with the CSRF token, then goes to /login)."""
    return templates.TemplateResponse(request, "logout.html", {"page": "logout", "title": "Déconnexion"})


@router.get("/")
async def agenda_page(request: Request) -> Response:
    """The agenda of an agent (mine or a colleague's)."""
    return _page(request, "agenda.html", "agenda", "Agenda")


@router.get("/trouver-un-rdv")
async def find_page(request: Request) -> Response:
    """Find a free slot and book it for an usager."""
    return _page(request, "trouver.html", "trouver", "Trouver un RDV")


@router.get("/plages")
async def plages_page(request: Request) -> Response:
    """Opening periods."""
    return _page(request, "plages.html", "plages", "Plages d'ouverture")


@router.get("/absences")
async def absences_page(request: Request) -> Response:
    """Absences (« Indisponibilités »)."""
    return _page(request, "absences.html", "absences", "Indisponibilités")


@router.get("/usagers")
async def usagers_page(request: Request) -> Response:
    """Search usagers."""
    return _page(request, "usagers.html", "usagers", "Usagers")


@router.get("/usagers/{usager_id}")
async def usager_page(request: Request, usager_id: str) -> Response:
    """The fiche of one usager."""
    return _page(request, "usager.html", "usagers", "Fiche usager", usager_id=usager_id)


@router.get("/rdvs")
async def rdvs_page(request: Request) -> Response:
    """The list of RDVs, with filters and the XLSX export."""
    return _page(request, "rdvs.html", "rdvs", "Liste des RDV")


@router.get("/statistiques")
async def stats_page(request: Request) -> Response:
    """Statistics charts."""
    return _page(request, "statistiques.html", "statistiques", "Statistiques")


@router.get("/mon-compte")
async def account_page(request: Request) -> Response:
    """Profile, password and exports."""
    return _page(request, "compte.html", "compte", "Mon compte")


@router.get("/admin")
async def admin_home(request: Request) -> Response:
    """Administration: the organisation first."""
    return RedirectResponse("/admin/organisation", status_code=303)


@router.get("/admin/{section}")
async def admin_page(request: Request, section: str) -> Response:
    """Administration of the organisation, services, agents, motifs or lieux."""
    if section not in ADMIN_SECTIONS:
        return templates.TemplateResponse(request, "introuvable.html", {"page": "", "title": "Page non trouvée"},
                                          status_code=404)
    return _page(request, "admin.html", "admin", f"Administration — {ADMIN_SECTIONS[section]}",
                 section=section)


async def _info_page(request: Request) -> Response:
    """Accessibility statement, legal notices, personal data: for everyone, with the agent's menu when signed in."""
    template, title = INFO_PAGES[request.url.path]
    return templates.TemplateResponse(request, template, {
        "page": "info", "title": title, "nav": NAV, "dev_inbox": rdv_env() != "production",
        "signed_in": session_cookie(request.scope) is not None, "axe": AXE_FIGURES})


for _path in INFO_PAGES:
    router.add_api_route(_path, _info_page, methods=["GET"])


def _wants_html(request: Request) -> bool:
    """A browser's navigation (Accept prefers text/html), outside the APIs and files."""
    if request.method not in ("GET", "HEAD") or request.url.path.startswith(("/api/", "/web/", "/vendor/", "/static/")):
        return False
    accept = request.headers.get("accept", "").lower()
    html, json = accept.find("text/html"), accept.find("application/json")
    return html >= 0 and (json < 0 or html < json)


def install_not_found_page(app: FastAPI) -> None:
    """A mistyped address in a browser gets the 404 page; the APIs and other clients keep the JSON error."""
    previous = app.exception_handlers[StarletteHTTPException]

    async def not_found(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404 and _wants_html(request):
            return templates.TemplateResponse(request, "introuvable.html", {"page": "", "title": "Page non trouvée"},
                                              status_code=404)
        return await previous(request, exc)

    app.add_exception_handler(StarletteHTTPException, not_found)


@router.get("/prendre-rdv/{slug}")
async def public_page(request: Request, slug: str) -> Response:
    """The public booking journey of an organisation that publishes online (404 otherwise)."""
    try:
        data = await catalogue(request, slug)
    except NotFound:
        return templates.TemplateResponse(request, "introuvable.html", {
            "page": "", "title": "Prise de rendez-vous en ligne indisponible",
            "message": "Cette organisation ne propose pas de prise de rendez-vous en ligne."}, status_code=404)
    return templates.TemplateResponse(request, "public.html", {
        "page": "public", "title": f"Prendre rendez-vous — {data['organisation']['name']}", "slug": slug,
        "organisation": data["organisation"]})
