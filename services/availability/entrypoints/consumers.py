"""Event consumers of the availability service."""
from services.availability.service_layer.busy import record_rdv, record_rdvs
from shared.inbox import Consumer

# Batched: a fetched batch of booking.rdv.* is applied in one transaction with one upsert statement
# (per message, each event cost a transaction); `record_rdv` is the per-message fallback on errors.
busy = Consumer(name="availability-busy", stream="BOOKING", subjects=["booking.rdv.>"], handler=record_rdv,
                batched=True, batch_handler=record_rdvs, batch=500, max_wait=0.05)
