"""SQLAlchemy tables of the booking service."""
from sqlalchemy import MetaData

from shared.tables import add_platform_tables

metadata = MetaData()
outbox, inbox = add_platform_tables(metadata)
