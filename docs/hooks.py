"""MkDocs hook: write the reference pages at build time, so they cannot drift from the code.

``reference/configuration.md`` is read from ``Settings`` (names, environment variables, types,
defaults, descriptions) and ``reference/api.md`` from the OpenAPI document the app serves at
``/openapi.json``. Neither page is committed: each build writes them again. Both builders are
plain functions, so a test can call them without MkDocs.
"""

from __future__ import annotations

import json
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


def _cell(text: object) -> str:
    """A Markdown table cell: no pipes or line breaks inside."""
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _type_name(annotation: object) -> str:
    name = getattr(annotation, "__name__", None)
    text = str(annotation) if name is None or "[" in str(annotation) else name
    return text.replace("typing.", "").replace("pydantic.types.", "")


def configuration_page() -> str:
    """Every setting of ``Settings``: its environment variable, type, default and meaning."""
    from pathlib import PurePath

    from pydantic import SecretStr

    from leadflow.settings import Settings

    prefix = str(Settings.model_config.get("env_prefix", ""))
    rows = []
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, SecretStr):
            default = default.get_secret_value()
        if isinstance(default, PurePath):
            default = str(default)
        shown = json.dumps(default) if not isinstance(default, str) else default
        rows.append(
            f"| `{prefix}{name.upper()}` | `{_cell(_type_name(field.annotation))}` | "
            f"`{_cell(shown)}` | {_cell(field.description or '')} |"
        )
    return "\n".join(
        [
            "# Configuration reference",
            "",
            "Generated from `Settings` (`src/leadflow/settings.py`) when the site is built.",
            "Every setting is an environment variable; an empty default shows as ``.",
            "`PORT` (default 8000) is read by `leadflow serve` and `leadflow demo` only.",
            "",
            "| environment variable | type | default | meaning |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )


def api_page(document: dict[str, Any] | None = None) -> str:
    """Every route of the OpenAPI document, grouped by tag, with its summary and parameters."""
    if document is None:
        from leadflow.app import create_app
        from leadflow.settings import Settings

        app = create_app(Settings(database_url="sqlite:///unused.db", embedded_worker=False))
        document = app.openapi()
    by_tag: dict[str, list[str]] = {}
    for path, item in sorted(document.get("paths", {}).items()):
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["other"])[0]
            params = ", ".join(
                f"`{p['name']}`" for p in operation.get("parameters", []) if p.get("in") == "query"
            )
            summary = operation.get("summary") or operation.get("operationId", "")
            by_tag.setdefault(tag, []).append(
                f"| `{method.upper()}` | `{_cell(path)}` | {_cell(summary)} | {params} |"
            )
    lines = [
        "# HTTP API reference",
        "",
        f"Generated from the OpenAPI document ({document.get('info', {}).get('title', '')} "
        f"{document.get('info', {}).get('version', '')}) when the site is built. A running "
        "server serves the full document at `/openapi.json` and interactive docs at `/docs`.",
        "",
    ]
    for tag in sorted(by_tag):
        lines += [
            f"## {tag}",
            "",
            "| method | path | summary | query parameters |",
            "|---|---|---|---|",
            *by_tag[tag],
            "",
        ]
    return "\n".join(lines)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the two generated pages to the build."""
    files.append(File.generated(config, "reference/configuration.md", content=configuration_page()))
    files.append(File.generated(config, "reference/api.md", content=api_page()))
    return files
