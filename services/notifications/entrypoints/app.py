"""The notifications service's FastAPI app."""
from services.notifications.config import NotificationsSettings
from shared.service import ServiceRuntime

runtime = ServiceRuntime("notifications", NotificationsSettings())
app = runtime.create_app()
