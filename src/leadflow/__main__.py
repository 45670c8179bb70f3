"""``python -m leadflow``: the same command as the ``leadflow`` script (``serve`` starts its
worker this way, with the interpreter it runs on)."""

from leadflow.cli import app

app()
