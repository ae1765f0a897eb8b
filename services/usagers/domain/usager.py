"""The usager (a citizen), its relatives and the rules on its fields."""
from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any

from services.usagers.domain.contacts import normalise_email, normalise_phone
from services.usagers.domain.errors import InvalidField, InvalidResponsible

NAME_MAX = 100
TEXT_MAX = 500


@dataclass
class Usager:
    id: uuid.UUID
    organisation_id: uuid.UUID
    first_name: str
    last_name: str
    birth_name: str | None = None
    birth_date: date | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    notify_by_sms: bool = True
    notify_by_email: bool = True
    responsible_id: uuid.UUID | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    created_by: uuid.UUID | None = None
    anonymized_at: datetime | None = None
    # the responsible's contacts, when loaded with it (for the effective contacts)
    responsible_email: str | None = field(default=None, compare=False)
    responsible_phone: str | None = field(default=None, compare=False)

    @property
    def is_anonymized(self) -> bool:
        return self.anonymized_at is not None

    @property
    def effective_email(self) -> str | None:
        """Where an email reaches this usager: its own, else its responsible's."""
        return self.email or (self.responsible_email if self.responsible_id else None)

    @property
    def effective_phone(self) -> str | None:
        return self.phone or (self.responsible_phone if self.responsible_id else None)

    def with_changes(self, changes: dict[str, Any], *, at: datetime) -> "Usager":
        return replace(self, **changes, updated_at=at)

    def anonymised(self, *, at: datetime) -> "Usager":
        """Wipe every personal field (RGPD); the id stays so RDVs keep their reference."""
        return replace(self, first_name="", last_name="", birth_name=None, birth_date=None, email=None,
                       phone=None, address=None, notify_by_sms=False, notify_by_email=False,
                       responsible_id=None, responsible_email=None, responsible_phone=None,
                       anonymized_at=at, updated_at=at)

    def event_payload(self) -> dict[str, Any]:
        """`data.usager` of usagers.usager.created|updated (contract + internal fields)."""
        data = asdict(self)
        keep = ("id", "first_name", "last_name", "birth_date", "email", "phone", "notify_by_sms",
                "notify_by_email", "responsible_id", "birth_name", "address", "organisation_id")
        payload = {k: data[k] for k in keep}
        for key in ("id", "responsible_id", "organisation_id"):
            payload[key] = str(payload[key]) if payload[key] else None
        payload["birth_date"] = self.birth_date.isoformat() if self.birth_date else None
        payload["effective_email"] = self.effective_email
        payload["effective_phone"] = self.effective_phone
        return payload


def _clean_text(value: Any, name: str, *, required: bool, limit: int) -> str | None:
    if value is None:
        if required:
            raise InvalidField(name, "Ce champ est obligatoire.")
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    if not text:
        if required:
            raise InvalidField(name, "Ce champ ne peut pas être vide.")
        return None
    if len(text) > limit:
        raise InvalidField(name, f"{limit} caractères au plus.")
    return text


def clean_fields(data: dict[str, Any], *, today: date) -> dict[str, Any]:
    """Validate and normalise the given fields (create: all of them; update: those sent)."""
    clean: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("first_name", "last_name"):
            clean[key] = _clean_text(value, key, required=True, limit=NAME_MAX)
        elif key == "birth_name":
            clean[key] = _clean_text(value, key, required=False, limit=NAME_MAX)
        elif key == "address":
            clean[key] = _clean_text(value, key, required=False, limit=TEXT_MAX)
        elif key == "phone":
            clean[key] = normalise_phone(value)
        elif key == "email":
            clean[key] = normalise_email(value)
        elif key == "birth_date":
            if value is not None and value > today:
                raise InvalidField("birth_date", "La date de naissance ne peut pas être dans le futur.")
            if value is not None and value.year < 1900:
                raise InvalidField("birth_date", "La date de naissance est trop ancienne.")
            clean[key] = value
        elif key in ("notify_by_sms", "notify_by_email"):
            if value is None:
                raise InvalidField(key, "Un booléen (true/false) est attendu.")
            clean[key] = bool(value)
        elif key == "responsible_id":
            clean[key] = value
    return clean


def check_responsible(*, usager_id: uuid.UUID | None, responsible: Usager | None,
                      has_relatives: bool) -> None:
    """A relative hangs under one responsible, who is not a relative himself (one level)."""
    fields = lambda msg: {"fields": {"responsible_id": msg}}  # noqa: E731
    if responsible is None or responsible.is_anonymized:
        msg = "Le responsable indiqué est introuvable dans l'organisation."
        raise InvalidResponsible(msg, details=fields(msg))
    if usager_id is not None and responsible.id == usager_id:
        msg = "Un usager ne peut pas être son propre responsable."
        raise InvalidResponsible(msg, details=fields(msg))
    if responsible.responsible_id is not None:
        msg = "Le responsable indiqué est lui-même un proche rattaché à un autre usager."
        raise InvalidResponsible(msg, details=fields(msg))
    if has_relatives:
        msg = "Cet usager a des proches : il ne peut pas être rattaché à un responsable."
        raise InvalidResponsible(msg, details=fields(msg))
