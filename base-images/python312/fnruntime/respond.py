"""Handler results, errors and timeouts → HTTP responses (RES-VALUE, RES-CUSTOM, RES-ERROR).

`render(result, response)` returns `(status, headers, body)`; it raises `UnrenderableResult`
when the handler returned something that has no HTTP form (logged, answered 500).
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional, Tuple

from .event import Response
from .headers import Headers

TEXT = "text/plain; charset=utf-8"
JSON = "application/json; charset=utf-8"
BYTES = "application/octet-stream"

Rendered = Tuple[int, Headers, bytes]


class HTTPResponse(Exception):
    """Return or raise `HTTPResponse(body, status, headers)` to choose the whole answer (RES-CUSTOM).

    Shaped like `bottle.HTTPResponse`: `body`, `status_code` (also `status`), `headers`.
    """

    def __init__(self, body: Any = "", status: int = 200, headers: Optional[Mapping] = None,
                 **more_headers: Any):
        super().__init__(status)
        self.body = body
        self.status_code = int(status)
        self.headers = Headers(headers or {})
        for name, value in more_headers.items():
            self.headers[name.replace("_", "-")] = str(value)

    @property
    def status(self) -> int:
        return self.status_code

    def __repr__(self) -> str:
        return f"HTTPResponse(status={self.status_code})"


class UnrenderableResult(TypeError):
    code = "E_RESULT"


def _status(value: Any) -> int:
    if isinstance(value, bool):
        raise UnrenderableResult(f"invalid HTTP status {value!r}")
    if isinstance(value, str):  # bottle: "404 Not Found" or "404"
        value = value.strip().split(" ", 1)[0]
    try:
        code = int(value)
    except (TypeError, ValueError):
        raise UnrenderableResult(f"invalid HTTP status {value!r}") from None
    if not 100 <= code <= 599:
        raise UnrenderableResult(f"invalid HTTP status {value!r}")
    return code


def _header_items(headers: Any):
    if headers is None:
        return []
    if hasattr(headers, "allitems"):  # bottle.HeaderDict keeps repeated headers
        return list(headers.allitems())
    if hasattr(headers, "items"):
        return list(headers.items())
    return list(headers)  # a list of (name, value) pairs


def _is_response_like(value: Any) -> bool:
    return (hasattr(value, "body") and hasattr(value, "headers")
            and (hasattr(value, "status_code") or hasattr(value, "status")))


def _body(value: Any) -> Tuple[bytes, Optional[str]]:
    """RES-VALUE: the body bytes and the default content type of a returned value."""
    if value is None:
        return b"", None
    if isinstance(value, str):
        return value.encode("utf-8"), TEXT
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value), BYTES
    if isinstance(value, (dict, list, tuple, int, float, bool)):
        try:
            return json.dumps(value, allow_nan=False).encode("utf-8"), JSON
        except (TypeError, ValueError) as exc:
            raise UnrenderableResult(f"result cannot be serialised as JSON: {exc}") from None
    raise UnrenderableResult(f"cannot send a {type(value).__name__} as a response body")


def render(result: Any, response: Response) -> Rendered:
    status = response.status
    headers = Headers(response.headers.raw_items())
    if _is_response_like(result):
        status = _status(getattr(result, "status_code", None) or getattr(result, "status"))
        extra = _header_items(result.headers)
        result = result.body
    elif isinstance(result, tuple) and 2 <= len(result) <= 3:
        status = _status(result[1])
        extra = _header_items(result[2]) if len(result) == 3 else []
        result = result[0]
    else:
        extra = []
    for name, value in extra:
        headers[name] = str(value)
    body, content_type = _body(result)
    if content_type and "content-type" not in headers:
        headers["Content-Type"] = content_type
    return status, headers, body


def plain(status: int, text: str) -> Rendered:
    """A runtime answer: short plain text, never a trace or a path (HTTP-NOLEAK)."""
    return status, Headers({"Content-Type": TEXT}), text.encode("utf-8")
