"""How the emulator refuses a request: Bot API errors as Telegram words them, control API
errors as ``{"error": ...}``; and the JSON object both APIs speak."""

from __future__ import annotations

from typing import Any

from aiohttp import web

JSON = dict[str, Any]


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code", "description"}``."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    @classmethod
    def too_many_requests(cls, retry_after: int) -> ApiError:
        """Telegram's flood-control answer."""
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    def response(self) -> web.Response:
        """Render the error exactly as Telegram does."""
        payload: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            payload["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(payload, status=self.status)


def bad_request(detail: str) -> ApiError:
    """Telegram's 400 answer, ``Bad Request: <detail>``."""
    return ApiError(400, f"Bad Request: {detail}")


class ControlError(Exception):
    """A refused control request, answered as ``{"error": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
