"""SMS wording: GSM-7 safe, within one SMS (160 characters) whenever possible."""
from __future__ import annotations

from services.notifications.domain.frenchdate import datetime_fr, short_datetime_fr
from services.notifications.domain.gsm import septets, to_gsm7
from services.notifications.domain.model import RdvView

MAX_SMS = 160

_OPENINGS = {
    "confirmation": "RDV confirmé",
    "change": "RDV modifié",
    "cancellation": "RDV annulé",
    "reminder": "Rappel RDV",
}


def sms_text(kind: str, rdv: RdvView) -> str:
    """The SMS for one kind of message: service, date, place and the counter's phone."""
    for service in _service_names(rdv):  # the first variant that fits (composed one at a time)
        for when in (datetime_fr, short_datetime_fr):
            text = _compose(kind, service, when(rdv.starts_at, rdv.timezone), rdv.place, rdv.lieu_phone)
            if septets(text) <= MAX_SMS:
                return text
    # Still too long (a very long address): shorten the place, keep the phone.
    service = _service_names(rdv)[-1]
    when = short_datetime_fr(rdv.starts_at, rdv.timezone)
    base = _compose(kind, service, when, "", rdv.lieu_phone)
    place = to_gsm7(rdv.place)
    # Cut the place until the whole text fits (the ", " separator and GSM-7 extension
    # characters, which take two septets, make a character count unreliable).
    cut = MAX_SMS - septets(base) - 3
    while cut > 7:
        text = _compose(kind, service, when, place[:cut].rstrip() + "...", rdv.lieu_phone)
        if septets(text) <= MAX_SMS:
            return text
        cut -= 1
    return base[:MAX_SMS]


def _service_names(rdv: RdvView) -> list[str]:
    names = [rdv.service_name]
    if rdv.service_short_name and rdv.service_short_name != rdv.service_name:
        names.append(rdv.service_short_name)
    return names


def _compose(kind: str, service: str, when: str, place: str, phone: str | None) -> str:
    """`RDV confirmé - PMI le mardi 2 mars 2027 à 10 h 00, 12 rue X. Infos : 01 40 00 00 01`."""
    details = [f"du {when}" if kind == "cancellation" else f"le {when}"]
    if place and kind != "cancellation":
        details.append(place)
    text = f"{_OPENINGS[kind]} - {service} " + ", ".join(details) + "."
    if phone:
        text += f" Infos : {phone}"
    return to_gsm7(text)
