"""What an RDV export contains: its columns, in order, and its file name."""
from __future__ import annotations

import re
import unicodedata
from datetime import date

COLUMNS = (
    "année", "date prise rdv", "heure prise rdv", "origine", "date rdv", "heure rdv", "service", "motif",
    "contexte", "statut", "lieu", "professionnel.le(s)", "usager(s)", "au moins un usager mineur ?",
    "résultat des notifications", "organisation", "date naissance", "créé par",
)
COLUMN_WIDTHS = (7, 14, 14, 26, 12, 10, 22, 28, 30, 24, 26, 30, 30, 12, 24, 24, 22, 24)

DATE_FORMAT = "%d/%m/%Y"
TIME_FORMAT = "%H:%M"
# Spreadsheet number formats of the date and time cells (date prise rdv, heure prise rdv, date rdv,
# heure rdv, date naissance), shown the French way.
SHEET_DATE_FORMAT = "dd/mm/yyyy"
SHEET_TIME_FORMAT = "hh:mm"


def slugify(text: str) -> str:
    """ASCII, lower case, words joined by hyphens (« Mairie de Fécamp » -> mairie-de-fecamp)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "organisation"


def export_filename(*, day: date, organisation_slug: str | None, organisation_name: str | None = None) -> str:
    """`export-rdv-YYYY-MM-DD-<organisation slug>.xlsx`, the day in the organisation's timezone."""
    slug = slugify(organisation_slug or organisation_name or "organisation")
    return f"export-rdv-{day.isoformat()}-{slug}.xlsx"
