"""Reading notification outcomes into rows, and folding several outcomes of one message (pure)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from services.reporting.service_layer.handlers import _message_row, _then
from shared.events import new_event

AT = datetime(2027, 3, 1, 8, 0, tzinfo=timezone.utc)


def _outcome(status: str, *, message_id: uuid.UUID, attempt: int, minutes: int = 0, rdv_id: str | None = "x"):
    message = {"id": str(message_id), "rdv_id": str(uuid.uuid4()) if rdv_id else None, "usager_id": None,
               "agent_id": None, "channel": "sms", "kind": "confirmation", "recipient_masked": "06****12",
               "attempt": attempt}
    ev = new_event(f"notifications.message.{status}", organisation_id=uuid.uuid4(), data={"message": message})
    return ev.model_copy(update={"occurred_at": AT + timedelta(minutes=minutes)})


def test_outcome_row_and_messages_about_no_rdv():
    row = _message_row(_outcome("failed", message_id=uuid.uuid4(), attempt=2))
    assert row["status"] == "failed" and row["attempt"] == 2 and row["channel"] == "sms" and row["at"] == AT
    assert _message_row(_outcome("sent", message_id=uuid.uuid4(), attempt=1, rdv_id=None)) is None


def test_once_sent_a_message_stays_sent_and_keeps_its_highest_attempt():
    mid = uuid.uuid4()
    failed = _message_row(_outcome("failed", message_id=mid, attempt=1))
    sent = _message_row(_outcome("sent", message_id=mid, attempt=2, minutes=5))
    assert (_then(failed, sent)["status"], _then(failed, sent)["attempt"]) == ("sent", 2)
    late = _then(sent, failed)  # the failure arriving after the success
    assert late["status"] == "sent" and late["attempt"] == 2 and late["at"] == failed["at"]
    assert late["rdv_id"] == sent["rdv_id"]  # the first row's references stay, as in the upsert
