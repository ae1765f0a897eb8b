"""Event consumers of the availability service."""
from services.availability.service_layer.busy import record_rdv
from shared.inbox import Consumer

busy = Consumer(name="availability-busy", stream="BOOKING", subjects=["booking.rdv.>"], handler=record_rdv)
