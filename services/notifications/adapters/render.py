"""Message contents: French email text + HTML (Jinja2 templates), SMS text, .ics."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.notifications.adapters.ics import build_ics
from services.notifications.domain.frenchdate import datetime_fr, day_fr, time_fr
from services.notifications.domain.model import Content, RdvView, Recipient
from services.notifications.domain.sms import sms_text
from shared.settings import rdv_env

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Templates are re-read when edited in dev only: elsewhere each render would stat every file it uses.
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "html.j2"]),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                   auto_reload=rdv_env() == "dev")

USAGER_SUBJECTS = {
    "confirmation": "Votre RDV du {when} est confirmé",
    "change": "Votre RDV a été modifié : {when}",
    "cancellation": "Votre RDV du {when} est annulé",
    "reminder": "Rappel : votre RDV du {when}",
}
AGENT_SUBJECTS = {
    "confirmation": "Nouveau RDV le {when}",
    "change": "RDV modifié : {when}",
    "cancellation": "RDV annulé : {when}",
    "reminder": "Rappel : RDV le {when}",
}


def render(kind: str, rdv: RdvView, recipient: Recipient, *, now: datetime, sender: str) -> Content:
    """The content of one message to one recipient."""
    if recipient.channel == "sms":
        return Content(subject=None, body=sms_text(kind, rdv))
    audience = "agent" if recipient.agent_id else "usager"
    when = datetime_fr(rdv.starts_at, rdv.timezone)
    subjects = AGENT_SUBJECTS if audience == "agent" else USAGER_SUBJECTS
    context = {"kind": kind, "rdv": rdv, "recipient": recipient, "when": when,
               "day": day_fr(rdv.starts_at, rdv.timezone), "time": time_fr(rdv.starts_at, rdv.timezone),
               "end_time": time_fr(rdv.ends_at, rdv.timezone),
               "usagers": ", ".join(rdv.usager_names), "agents": ", ".join(rdv.agent_names)}
    text = _env.get_template(f"email/{audience}.txt.j2").render(**context)
    html = _env.get_template(f"email/{audience}.html.j2").render(**context)
    ics = build_ics(rdv, cancelled=kind == "cancellation", stamp=now, organizer=sender,
                    attendee=recipient.address, description=text)
    attachment = {"filename": "rdv.ics", "content_type": "text/calendar",
                  "method": "CANCEL" if kind == "cancellation" else "REQUEST", "content": ics.decode()}
    return Content(subject=subjects[kind].format(when=when), body=text, html=html, attachments=[attachment])
