"""The ASGI entry point for uvicorn's workers: ``leadflow.asgi:app``."""

from leadflow.app import create_app
from leadflow.heap import freeze_startup_objects
from leadflow.ops.logging import configure_logging
from leadflow.settings import get_settings

configure_logging(get_settings().log_format, get_settings().log_level)
app = create_app()
app.prepare_to_serve()  # before the first request, not during it
freeze_startup_objects()  # the app is built: its objects live as long as the process
