"""CloudEvents: the request becomes the handler's `event` (EV-*); its body is parsed by `body.py`.

`build_event(...)` returns an `Event` or raises `RequestError(status, reason)` for requests that
must be refused before user code runs (HTTP-BADJSON, EV-INVALID, EV-BATCH).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Dict, List, Optional, Union
from urllib.parse import unquote_to_bytes

from .body import JSON_TYPES, RequestError, media_type, parse_body, parse_fields, parse_json  # noqa: F401 (RequestError is imported from here)
from .headers import Headers
from .sdk import EventSDK, Publisher

CE_FIELDS = ("ce-type", "ce-source", "ce-eventtypeversion", "ce-specversion", "ce-id", "ce-time",
             "ce-datacontenttype")
REQUIRED_ATTRIBUTES = ("id", "source", "specversion", "type")
STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
#: EV-STRUCTURED: standard base64 (RFC 4648 §4) with its padding, nothing else (as in Node)
BASE64 = re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?")
#: a `%` without two hex digits after it
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class AttrDict(dict):
    """A dict whose keys are also attributes (`event.data`, `extensions.request`)."""

    __slots__ = ()

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value) -> None:
        self[name] = value


class Request:
    """`event.extensions.request` (EV-REQUEST): the incoming HTTP request."""

    __slots__ = ("method", "path", "query_string", "headers", "body", "remote_addr",
                 "http_version", "_query", "_json")

    def __init__(self, method: str, path: str, query_string: str, headers: Headers, body: bytes,
                 remote_addr: str = "", http_version: str = "1.1"):
        self.method = method
        self.path = path
        self.query_string = query_string
        self.headers = headers
        self.body = body
        self.remote_addr = remote_addr
        self.http_version = http_version
        self._query = None
        self._json = _UNSET

    @property
    def query(self) -> Dict[str, Union[str, List[str]]]:
        if self._query is None:
            self._query = parse_fields(self.query_string)
        return self._query

    @property
    def url(self) -> str:
        return self.path + ("?" + self.query_string if self.query_string else "")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def json(self) -> Any:
        """The body parsed as JSON when it is a JSON content type, else None."""
        if self._json is _UNSET:
            value = None
            if self.body and media_type(self.content_type) in JSON_TYPES:
                try:
                    value = parse_json(self.body)  # the same JSON rules as event.data
                except RequestError:
                    value = None
            self._json = value
        return self._json

    def get_header(self, name: str, default=None):
        return self.headers.get(name, default)

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.url}>"


class _Unset:
    pass


_UNSET = _Unset()


class Response:
    """`event.extensions.response` (EV-REQUEST): status and headers applied on return."""

    __slots__ = ("_status", "headers")

    def __init__(self):
        self._status = 200
        self.headers = Headers()

    @property
    def status(self) -> int:
        return self._status

    @status.setter
    def status(self, value) -> None:
        code = int(value)
        if not 100 <= code <= 599:
            raise ValueError(f"invalid HTTP status {value!r}")
        self._status = code

    @property
    def status_code(self) -> int:
        return self._status

    @status_code.setter
    def status_code(self, value) -> None:
        self.status = value

    def set_header(self, name: str, value) -> None:
        self.headers[name] = str(value)

    @property
    def content_type(self) -> Optional[str]:
        return self.headers.get("content-type")

    @content_type.setter
    def content_type(self, value: str) -> None:
        self.headers["Content-Type"] = value


class Event(EventSDK, dict):
    """The handler's first argument (EV-FIELDS): a dict with attribute access and the SDK.

    `event["data"]`, `event.data`; `event.ce_type` reads `event["ce-type"]`.
    """

    def __getattr__(self, name: str):
        key = "ce-" + name[3:] if name.startswith("ce_") else name
        try:
            return self[key]
        except KeyError:
            raise AttributeError(name) from None


def _missing_or_bad(attributes: Dict[str, Any], mode: str) -> Optional[str]:
    """The Node runtime's words, so that both runtimes answer a bad event alike."""
    missing = [name for name in REQUIRED_ATTRIBUTES
               if not isinstance(attributes.get(name), str) or attributes.get(name) == ""]
    if missing:
        noun = "attribute" if len(missing) == 1 else "attributes"
        names = ", ".join(("ce-" + name) if mode == "binary" else name for name in missing)
        return f"Bad Request: invalid {mode}-mode CloudEvent: missing required {noun} {names}"
    if attributes["specversion"] != "1.0":
        return (f"Bad Request: invalid {mode}-mode CloudEvent: specversion "
                f"{json.dumps(attributes['specversion'])} is not supported (expected \"1.0\")")
    return None


def _percent_decoded(value: str) -> Optional[str]:
    """EV-BINARY: one round of percent-decoding; None for a `%` without two hex digits or escapes
    that are not UTF-8. The CloudEvents HTTP binding (1.0.2, §3.1.3.2) says such values MUST be
    rejected; U+FFFD in their place (as this runtime did) hands the function what nobody sent."""
    if "%" not in value:
        return value
    if _BAD_ESCAPE.search(value):
        return None
    try:
        return unquote_to_bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _binary(request: Request) -> Optional[Dict[str, Any]]:
    headers = request.headers
    if "ce-specversion" not in headers and not ("ce-type" in headers and "ce-source" in headers):
        return None  # not a binary-mode event: no need to walk the headers
    ce = {}
    for key, value in headers.lower_items():
        if key.startswith("ce-"):
            ce[key] = value
    if "ce-specversion" not in ce and not ("ce-type" in ce and "ce-source" in ce):
        return None
    for key, value in ce.items():
        decoded = _percent_decoded(value)
        if decoded is None:
            raise RequestError(400, f"Bad Request: invalid binary-mode CloudEvent: {key} is not "
                                    "valid percent-encoded UTF-8")
        ce[key] = decoded
    problem = _missing_or_bad({key[3:]: value for key, value in ce.items()}, "binary")
    if problem:
        raise RequestError(400, problem)
    ce["ce-datacontenttype"] = request.headers.get("content-type")
    return ce


def _structured(request: Request) -> Dict[str, Any]:
    document = parse_body(request.body, request.content_type)
    if not isinstance(document, dict):
        raise RequestError(400, "Bad Request: invalid structured-mode CloudEvent: "
                                "the body must be a JSON object")
    problem = _missing_or_bad(document, "structured")
    if problem:
        raise RequestError(400, problem)
    ce: Dict[str, Any] = {}
    for key, value in document.items():
        if key not in ("data", "data_base64"):
            ce["ce-" + key] = value
    if "data" in document:
        data = document["data"]
    elif "data_base64" in document:
        encoded = document["data_base64"]
        if not isinstance(encoded, str) or not BASE64.fullmatch(encoded):
            raise RequestError(400, "Bad Request: invalid structured-mode CloudEvent: "
                                    "data_base64 is not valid base64")
        data = base64.b64decode(encoded)
    else:
        data = None
    ce["data"] = data
    return ce


def build_event(request: Request, tracer, response: Response, publisher: Publisher) -> Event:
    kind = media_type(request.content_type)
    if kind == BATCH:
        raise RequestError(415, "Unsupported Media Type: CloudEvents batch mode "
                                "(application/cloudevents-batch+json) is not supported")
    if kind == STRUCTURED:
        ce = _structured(request)
        data = ce.pop("data")
    else:
        ce = _binary(request) or {}
        data = parse_body(request.body, request.content_type)
    event = Event.fromkeys(CE_FIELDS)
    event.update(ce)
    event["data"] = data
    event["tracer"] = tracer
    event["extensions"] = AttrDict(request=request, response=response)
    event.publisher = publisher
    return event
