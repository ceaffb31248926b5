"""Bot API errors with Telegram's status codes and wording."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered as ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class GatewayError(Exception):
    """A failure answered by a proxy in front of the Bot API (as Telegram's own front ends do
    when the server behind them is down): an HTML page, not the Bot API's JSON."""

    def __init__(self, status: int = 502, reason: str = "Bad Gateway") -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.page = (
            f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n"
            f"<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n"
            "<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
        )


def bad_request(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


def forbidden(message: str) -> ApiError:
    return ApiError(403, f"Forbidden: {message}")


def required(name: str) -> ApiError:
    return bad_request(f'parameter "{name}" is required')


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def server_error() -> ApiError:
    """What Telegram answers when it fails on its side (the request may be tried again)."""
    return ApiError(500, "Internal Server Error")


UNAUTHORIZED = ApiError(401, "Unauthorized")
NOT_FOUND = ApiError(404, "Not Found")
CHAT_NOT_FOUND = "chat not found"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
