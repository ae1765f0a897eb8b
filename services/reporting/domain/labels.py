"""French labels of what reporting shows: statuses, origins, location types, weeks, notifications."""
from __future__ import annotations

from datetime import date, timedelta

STATUSES = ("unknown", "seen", "noshow", "excused", "revoked")
DISPLAY_STATUSES = ("a_venir", "a_renseigner", "seen", "noshow", "excused", "revoked")

STATUS_LABELS = {
    "unknown": "À venir / à renseigner",
    "a_venir": "À venir",
    "a_renseigner": "À renseigner",
    "seen": "Rendez-vous honoré",
    "noshow": "Absence non excusée",
    "excused": "Annulé (excusé)",
    "revoked": "Annulé (révoqué)",
}

ORIGIN_LABELS = {"agent": "Créé par un agent", "usager": "Réservé en ligne par l'usager"}

LOCATION_TYPE_LABELS = {
    "public_office": "Sur place",
    "phone": "Par téléphone",
    "home": "À domicile",
    "visio": "En visioconférence",
}

UNKNOWN_LABEL = "Inconnu"


def display_status(status: str, *, rdv_day: date, today: date) -> str:
    """`a_venir` before the RDV's local day, `a_renseigner` from its day on; else the status."""
    if status != "unknown":
        return status
    return "a_venir" if today < rdv_day else "a_renseigner"


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", status or UNKNOWN_LABEL)


def origin_label(origin: str | None) -> str:
    return ORIGIN_LABELS.get(origin or "", origin or UNKNOWN_LABEL)


def location_type_label(location_type: str | None) -> str:
    return LOCATION_TYPE_LABELS.get(location_type or "", location_type or UNKNOWN_LABEL)


def week_start(day: date) -> date:
    """The Monday of the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def week_label(monday: date) -> str:
    return f"Semaine du {monday.strftime('%d/%m/%Y')}"


def notifications_label(sent: int, failed: int) -> str:
    """One cell summarising the notifications of an RDV: « 2 envoyées, 1 en échec »."""
    if not sent and not failed:
        return "Aucune notification"
    parts = []
    if sent:
        parts.append(f"{sent} envoyée{'s' if sent > 1 else ''}")
    if failed:
        parts.append(f"{failed} en échec")
    return ", ".join(parts)


def is_minor(birth_date: date | None, *, on: date) -> bool:
    """Under 18 on the given day (a birthday on that day counts as reached)."""
    if birth_date is None:
        return False
    try:
        eighteenth = birth_date.replace(year=birth_date.year + 18)
    except ValueError:  # born on 29 February
        eighteenth = date(birth_date.year + 18, 3, 1)
    return on < eighteenth
