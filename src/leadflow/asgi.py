"""The ASGI entry point for uvicorn's workers: ``leadflow.asgi:app``."""

from leadflow.app import create_app

app = create_app()
