"""The ASGI entry point for uvicorn's workers: ``leadflow.asgi:app``."""

from leadflow.app import create_app
from leadflow.heap import freeze_startup_objects

app = create_app()
freeze_startup_objects()  # the app is built: its objects live as long as the process
