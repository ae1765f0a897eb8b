"""Static files of the UI (/static/...) and the pinned npm libraries (/vendor/...), read from node_modules/."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from gateway.config import GatewaySettings

router = APIRouter()

STATIC_DIR = Path(__file__).parent / "static"
NODE_MODULES = GatewaySettings().node_modules

# Only these files of node_modules/ are served (never the whole folder).
VENDOR_FILES = {
    "fullcalendar.js": "fullcalendar/index.global.min.js",
    "fullcalendar-fr.js": "@fullcalendar/core/locales/fr.global.min.js",
    "chart.js": "chart.js/dist/chart.umd.min.js",
}
# The DSFR (Système de Design de l'État): its CSS, JS module, fonts, icons and favicons, from its dist/ folder.
DSFR_DIST = "@gouvfr/dsfr/dist"
DSFR_FILES = {"dsfr.min.css", "dsfr.module.min.js", "utility/icons/icons.min.css"}
DSFR_FOLDERS = ("fonts/", "icons/", "favicon/")

MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
               ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
               ".woff2": "font/woff2", ".woff": "font/woff", ".webmanifest": "application/manifest+json"}


def _file(path: Path) -> Response:
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
                        headers={"Cache-Control": "no-cache"})


@router.get("/static/{name:path}")
async def static_file(name: str) -> Response:
    """Serve a file of gateway/web/static/ (no path outside it)."""
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR.resolve()) or not path.is_file():
        return Response("Fichier introuvable", status_code=404, media_type="text/plain; charset=utf-8")
    return _file(path)


def _missing() -> Response:
    return Response("Bibliothèque absente (lancez « npm ci »)", status_code=404,
                    media_type="text/plain; charset=utf-8")


@router.get("/vendor/dsfr/{name:path}")
async def dsfr_file(name: str) -> Response:
    """Serve the DSFR's CSS, JS module, fonts and icons (only those files and folders of its dist/)."""
    dist = (NODE_MODULES / DSFR_DIST).resolve()
    path = (dist / name).resolve()
    allowed = name in DSFR_FILES or (name.startswith(DSFR_FOLDERS) and path.suffix in MEDIA_TYPES)
    if not allowed or not path.is_relative_to(dist) or not path.is_file():
        return _missing()
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers={"Cache-Control": "public, max-age=86400"})


@router.get("/vendor/{name}")
async def vendor_file(name: str) -> Response:
    """Serve one whitelisted file of a pinned npm package."""
    rel = VENDOR_FILES.get(name)
    path = NODE_MODULES / rel if rel else None
    if path is None or not path.is_file():
        return _missing()
    return FileResponse(path, media_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/favicon.ico")
async def favicon() -> Response:
    """The site icon (browsers ask for /favicon.ico): the DSFR's Marianne, or the UI's own without node_modules."""
    dsfr = NODE_MODULES / DSFR_DIST / "favicon" / "favicon.ico"
    return _file(dsfr if dsfr.is_file() else STATIC_DIR / "favicon.svg")
