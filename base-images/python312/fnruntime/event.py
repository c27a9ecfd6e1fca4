"""CloudEvents and body parsing: the request becomes the handler's `event` (EV-*, HTTP-BODY).

`build_event(...)` returns an `Event` or raises `RequestError(status, reason)` for requests that
must be refused before user code runs (HTTP-BADJSON, EV-INVALID, EV-BATCH).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Dict, List, Optional, Union
from urllib.parse import parse_qs, unquote

from .headers import Headers
from .sdk import EventSDK, Publisher

CE_FIELDS = ("ce-type", "ce-source", "ce-eventtypeversion", "ce-specversion", "ce-id", "ce-time",
             "ce-datacontenttype")
REQUIRED_ATTRIBUTES = ("id", "source", "specversion", "type")
JSON_TYPES = ("application/json", "application/cloudevents+json")
STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"


class RequestError(Exception):
    """The request is refused with `status` and a short plain-text `reason`."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


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


def media_type(content_type: Optional[str]) -> str:
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


def parse_fields(query: str) -> Dict[str, Union[str, List[str]]]:
    """`a=1&b=2&b=3` → {'a': '1', 'b': ['2', '3']} (like Node's querystring)."""
    parsed = parse_qs(query, keep_blank_values=True)
    return {key: values[0] if len(values) == 1 else values for key, values in parsed.items()}


def parse_body(body: bytes, content_type: Optional[str]) -> Any:
    """HTTP-BODY: JSON → value, text/* → str, form → fields, anything else → bytes, none → None."""
    if not body:
        return None
    kind = media_type(content_type)
    if kind in JSON_TYPES:
        try:
            return json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise RequestError(400, "Bad Request: the body is not valid JSON") from None
    if kind.startswith("text/"):
        try:
            return body.decode(_charset(content_type or ""), errors="replace")
        except LookupError:
            return body.decode("utf-8", errors="replace")
    if kind == "application/x-www-form-urlencoded":
        return parse_fields(body.decode("utf-8", errors="replace"))
    return body


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
                    value = json.loads(self.body)
                except ValueError:
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


def _binary(request: Request) -> Optional[Dict[str, Any]]:
    ce = {}
    for key, value in request.headers.lower_items():
        if key.startswith("ce-"):
            ce[key] = unquote(value)
    if "ce-specversion" not in ce and not ("ce-type" in ce and "ce-source" in ce):
        return None
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
        try:
            data = base64.b64decode(document["data_base64"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise RequestError(400, "Bad Request: invalid structured-mode CloudEvent: "
                                    "data_base64 is not valid base64") from None
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
