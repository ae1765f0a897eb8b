"""Settings of the reporting service (env prefix REPORTING_)."""
import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


def _data_dir() -> Path:
    return Path(os.environ.get("RDV_DATA_DIR", "./.rdv")).resolve()


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_", extra="ignore")

    # Export files live under <data_dir>/exports/ (a volume shared by the replicas when distributed).
    data_dir: Path = Field(default_factory=_data_dir)
    export_ttl_days: int = 7
    export_list_days: int = 14
    export_poll_seconds: float = 1.0
    export_cleanup_interval_seconds: float = 60.0
    # a running job whose worker stopped beating for this long is taken over by another worker
    export_stale_seconds: float = 120.0
    consumers_batched: bool = True

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / "exports"

    def sync_database_url(self) -> str:
        """The libpq form of the database URL, for the export thread's plain psycopg connection."""
        url = self.database_url
        for prefix in ("postgresql+psycopg://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql://" + url[len(prefix):]
        return url
