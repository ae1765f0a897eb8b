"""Settings of the reporting service (env prefix REPORTING_; RDV_DATA_DIR and RDV_PSEUDONYM_KEY shared)."""
import functools
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import PlatformSettings, ProductionRefused, ServiceSettings

DEV_PSEUDONYM_KEY = "dev-pseudonym-key-not-for-production"


def _data_dir() -> Path:
    return PlatformSettings().data_dir.resolve()


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
    # The key of the usagers' pseudonyms in the events for outside consumers; required in production.
    pseudonym_key: SecretStr | None = Field(default=None, validation_alias="RDV_PSEUDONYM_KEY")

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

    def pseudonym_secret(self) -> bytes:
        key = self.pseudonym_key.get_secret_value() if self.pseudonym_key else ""
        if key:
            if self.env == "production" and key == DEV_PSEUDONYM_KEY:
                raise ProductionRefused("la clé de pseudonymes de dev est refusée en production")
            return key.encode()
        if self.env == "production":
            raise ProductionRefused("RDV_PSEUDONYM_KEY est obligatoire en production")
        return DEV_PSEUDONYM_KEY.encode()

    def check_production(self) -> None:
        super().check_production()
        self.pseudonym_secret()


@functools.cache
def pseudonym_secret() -> bytes:
    """This process's pseudonym key, read once: every public event needs it."""
    return ReportingSettings().pseudonym_secret()
