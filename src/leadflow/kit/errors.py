"""One exception type per dialect. Endpoints raise; ``kit.handlers`` builds the bodies."""

from __future__ import annotations

from typing import Any


class TrackDriveError(Exception):
    """An error answered in the TrackDrive envelope: ``{"status", "errors": {field: [msg]}}``.

    ``code`` is a stable machine-readable name (``cps_exceeded``) for errors a script branches on.
    """

    def __init__(
        self,
        status: int,
        errors: dict[str, list[str]],
        code: str | None = None,
    ) -> None:
        super().__init__(f"{status} {errors}")
        self.status = status
        self.errors = errors
        self.code = code

    @classmethod
    def invalid(cls, errors: dict[str, list[str]], code: str | None = None) -> TrackDriveError:
        return cls(422, errors, code)

    @classmethod
    def field(cls, name: str, message: str, status: int = 422) -> TrackDriveError:
        return cls(status, {name: [message]})

    @classmethod
    def unauthorized(cls, message: str, field: str = "base") -> TrackDriveError:
        return cls(401, {field: [message]}, "unauthorized")

    @classmethod
    def forbidden(cls, message: str) -> TrackDriveError:
        return cls(403, {"base": [message]}, "forbidden")

    @classmethod
    def not_found(cls, what: str) -> TrackDriveError:
        return cls(404, {"base": [f"{what} not found"]}, "not_found")

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": self.status, "errors": self.errors}
        if self.code:
            body["error_code"] = self.code
        return body


class LeadSailError(Exception):
    """An error answered as ``{"success": false, "error": {"code", "message", "details"}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []

    def body(self) -> dict[str, Any]:
        return {
            "success": False,
            "error": {"code": self.code, "message": self.message, "details": self.details},
        }
