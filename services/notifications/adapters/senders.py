"""Where messages leave the system: SMTP for email, an SMS provider for SMS.

Every sender raises `DeliveryFailed` when the provider refuses or cannot be reached;
the delivery queue then retries with backoff.
"""
from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

import httpx

from services.notifications.config import NotificationsSettings


class DeliveryFailed(Exception):
    """The provider did not take the message (down, busy): retry later."""


class DeliveryRefused(DeliveryFailed):
    """The message can never be delivered as it is (unknown recipient, no provider): do not retry."""


@dataclass
class Outgoing:
    channel: str
    to: str
    subject: str | None
    body: str
    html: str | None
    attachments: list[dict]
    message_id: str


class Sender(Protocol):
    name: str
    local: bool  # True: nothing leaves the system (the dev inbox is the delivery), a send costs nothing;
    # when every sender is local, a delivery round does not read the messages' content (empty in `send`)

    async def send(self, message: Outgoing) -> None: ...


class DevInboxOnly:
    """No real provider: in dev/test the dev inbox is the delivery; in production it is a failure."""

    local = True

    def __init__(self, channel: str, *, allowed: bool):
        self.name = "dev"
        self.channel = channel
        self.allowed = allowed

    async def send(self, message: Outgoing) -> None:
        if not self.allowed:
            what = "serveur SMTP" if self.channel == "email" else "fournisseur SMS"
            raise DeliveryRefused(f"aucun {what} configuré")


class SmtpSender:
    """Email over SMTP (text + HTML alternative, .ics attached as text/calendar)."""

    name = "smtp"
    local = False

    def __init__(self, settings: NotificationsSettings):
        self.s = settings

    def build(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.s.smtp_from
        mail["To"] = message.to
        mail["Subject"] = message.subject or ""
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(idstring=message.message_id, domain="rdv")
        mail.set_content(message.body)
        if message.html:
            mail.add_alternative(message.html, subtype="html")
        for att in message.attachments:
            maintype, subtype = att.get("content_type", "application/octet-stream").split("/", 1)
            params = {"method": att["method"]} if att.get("method") else {}
            mail.add_attachment(att["content"].encode(), maintype=maintype, subtype=subtype,
                                filename=att["filename"], params=params)
        return mail

    def _send_sync(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(self.s.smtp_host, self.s.smtp_port, timeout=self.s.smtp_timeout_seconds) as smtp:
            if self.s.smtp_starttls:
                smtp.starttls()
            if self.s.smtp_user:
                smtp.login(self.s.smtp_user, self.s.smtp_password or "")
            smtp.send_message(mail)

    async def send(self, message: Outgoing) -> None:
        mail = self.build(message)
        try:
            await asyncio.to_thread(self._send_sync, mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = DeliveryRefused if codes and all(c >= 500 for c in codes) else DeliveryFailed
            raise error(f"SMTP : destinataire refusé {codes}") from exc
        except smtplib.SMTPResponseException as exc:
            error = DeliveryRefused if exc.smtp_code >= 500 else DeliveryFailed
            raise error(f"SMTP : {exc.smtp_code} {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP : {exc!r}") from exc


class HttpJsonSms:
    """A generic HTTP SMS gateway: POST {to, text, sender} with a bearer key; any 2xx is accepted."""

    name = "http-json"
    local = False

    def __init__(self, settings: NotificationsSettings):
        if not settings.sms_http_url:
            raise RuntimeError("RDV_SMS_HTTP_URL est obligatoire avec RDV_SMS_PROVIDER=http-json")
        self.s = settings

    async def send(self, message: Outgoing) -> None:
        headers = {"Idempotency-Key": message.message_id}
        if self.s.sms_http_key:
            headers["Authorization"] = f"Bearer {self.s.sms_http_key}"
        body = {"to": message.to, "text": message.body, "sender": self.s.sms_sender}
        try:
            async with httpx.AsyncClient(timeout=self.s.sms_timeout_seconds) as client:
                resp = await client.post(self.s.sms_http_url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"SMS : {exc!r}") from exc
        if not 200 <= resp.status_code < 300:
            refused = 400 <= resp.status_code < 500 and resp.status_code not in (401, 403, 408, 429)
            error = DeliveryRefused if refused else DeliveryFailed
            raise error(f"SMS : HTTP {resp.status_code} {resp.text[:200]}")


def email_sender(settings: NotificationsSettings) -> Sender:
    if settings.smtp_host:
        return SmtpSender(settings)
    return DevInboxOnly("email", allowed=settings.dev_inbox)


def sms_sender(settings: NotificationsSettings) -> Sender:
    provider = settings.sms_provider.strip().lower()
    if provider == "dev":
        return DevInboxOnly("sms", allowed=settings.dev_inbox)
    if provider == "http-json":
        return HttpJsonSms(settings)
    raise RuntimeError(f"RDV_SMS_PROVIDER inconnu : {settings.sms_provider} (attendu : dev, http-json)")
