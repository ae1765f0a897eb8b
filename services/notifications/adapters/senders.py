"""Where messages leave the system: SMTP for email, an SMS provider for SMS.

Every sender raises `DeliveryFailed` when the provider refuses or cannot be reached;
the delivery queue then retries with backoff.
"""
from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from datetime import datetime
from email.utils import format_datetime, make_msgid, parseaddr

import httpx

from services.notifications.config import NotificationsSettings
from services.notifications.domain.sending import DeliveryFailed, DeliveryRefused, Outgoing, Sender
from shared import clock


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
    """Email over SMTP (text + HTML alternative, .ics attached as text/calendar).

    What the server offers decides the encoding: with 8BITMIME the text parts go as 8-bit UTF-8 and
    the envelope says `BODY=8BITMIME` (RFC 6152); without it, as quoted-printable (7-bit safe). An
    address that is not ASCII needs SMTPUTF8 (RFC 6531), else the message is refused at once.
    """

    name = "smtp"
    local = False

    def __init__(self, settings: NotificationsSettings):
        self.s = settings

    def build(self, message: Outgoing, *, eight_bit: bool = True, now: datetime | None = None) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.s.smtp_from
        mail["To"] = message.to
        if message.reply_to:
            mail["Reply-To"] = message.reply_to
        mail["Subject"] = message.subject or ""
        mail["Date"] = format_datetime(now or clock.now())  # a real offset, not -0000 ("zone unknown")
        mail["Message-ID"] = make_msgid(idstring=message.message_id, domain="rdv")
        # RFC 3834: sent by a machine, so auto-responders (out-of-office) do not answer it
        mail["Auto-Submitted"] = "auto-generated"
        mail["X-Auto-Response-Suppress"] = "All"
        text_cte = None if eight_bit else "quoted-printable"  # None: the package picks 8bit for UTF-8 text
        mail.set_content(message.body, cte=text_cte)
        if message.html:
            mail.add_alternative(message.html, subtype="html", cte=text_cte)
        for att in message.attachments:
            maintype, subtype = att.get("content_type", "application/octet-stream").split("/", 1)
            params = {"method": att["method"]} if att.get("method") else {}
            if maintype == "text":  # its bytes (CRLF kept) are UTF-8: say so, or readers guess ASCII
                params["charset"] = "utf-8"
            mail.add_attachment(att["content"].encode(), maintype=maintype, subtype=subtype,
                                filename=att["filename"], params=params)
        return mail

    def _send_sync(self, message: Outgoing) -> None:
        with smtplib.SMTP(self.s.smtp_host, self.s.smtp_port, timeout=self.s.smtp_timeout_seconds) as smtp:
            smtp.ehlo()
            if self.s.smtp_starttls:
                smtp.starttls()
                smtp.ehlo()
            if self.s.smtp_user:
                smtp.login(self.s.smtp_user, self.s.smtp_password.get_secret_value() if self.s.smtp_password else "")
            eight_bit = smtp.has_extn("8bitmime")
            sender = parseaddr(self.s.smtp_from)[1]
            international = not (message.to.isascii() and sender.isascii())  # display names are RFC 2047
            if international and not smtp.has_extn("smtputf8"):
                raise DeliveryRefused("SMTP : adresse non ASCII et serveur sans SMTPUTF8")
            mail = self.build(message, eight_bit=eight_bit)
            options = []
            wire = mail.policy.clone(linesep="\r\n")  # SMTP lines end in CRLF
            if international:  # addresses in UTF-8: the headers may be too (RFC 6531, 6532)
                options.append("SMTPUTF8")
                wire = wire.clone(utf8=True)
            data = mail.as_bytes(policy=wire)
            if not data.isascii():
                options.append("BODY=8BITMIME")  # offered, else the parts above are 7-bit
            smtp.sendmail(sender, [message.to], data, mail_options=options)

    async def send(self, message: Outgoing) -> None:
        try:
            await asyncio.to_thread(self._send_sync, message)
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
        if self.s.sms_http_key and self.s.sms_http_key.get_secret_value():
            headers["Authorization"] = f"Bearer {self.s.sms_http_key.get_secret_value()}"
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
