"""Request bodies (HTTP-BODY, HTTP-BADJSON): media types, form fields and JSON, parsed as the Node
runtime parses them (its `src/body.ts`), so both answer the same bodies alike (issue 15).

`parse_body(body, content_type)` returns the handler's `data` or raises `RequestError(status,
reason)` for a body that must be refused before user code runs.
"""

from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Union
from urllib.parse import parse_qs

JSON_TYPES = ("application/json", "application/cloudevents+json")
#: HTTP-BADJSON: JSON nested deeper than this is refused, valid or not. Python's parser recurses
#: (a RecursionError near 1000 levels was a 500 and a traceback per request, issue 15); the Node
#: runtime refuses at the same depth.
MAX_JSON_DEPTH = 512
NOT_JSON = "Bad Request: the body is not valid JSON"
NOT_UTF8 = "Bad Request: the JSON body is not UTF-8"
TOO_DEEP = f"Bad Request: the JSON body is nested deeper than {MAX_JSON_DEPTH} levels"
_JSON_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


class RequestError(Exception):
    """The request is refused with `status` and a short plain-text `reason`."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


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


def nests_deeper_than(text: str, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit`, counting brackets outside strings."""
    if text.count("[") + text.count("{") <= limit:
        return False
    outside = _JSON_STRINGS.sub("", text)
    quote = outside.find('"')
    if quote >= 0:  # an unterminated string runs to the end: its brackets are not nesting
        outside = outside[:quote]
    depth = 0
    for bracket in _NOT_BRACKETS.sub("", outside):
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _not_a_json_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _int_or_double(text: str):
    """Integers Python refuses to convert (over 4300 digits) become the nearest double, as in Node."""
    return int(text) if len(text) <= 4300 else float(text)


def parse_json(body: bytes) -> Any:
    """HTTP-BODY / HTTP-BADJSON for the JSON types, as the Node runtime parses them: UTF-8 only
    (RFC 8259 §8.1; the charset parameter is not consulted), a leading BOM skipped, no NaN or
    Infinity, at most MAX_JSON_DEPTH levels deep."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(400, NOT_UTF8) from None
    if text[:1] == "\ufeff":
        text = text[1:]
    try:
        value = json.loads(text, parse_constant=_not_a_json_constant)
    except RecursionError:
        raise RequestError(400, TOO_DEEP) from None
    except ValueError:
        try:  # only integers of more than 4300 digits get a second chance
            value = json.loads(text, parse_constant=_not_a_json_constant, parse_int=_int_or_double)
        except (ValueError, RecursionError):
            raise RequestError(400, TOO_DEEP if nests_deeper_than(text, MAX_JSON_DEPTH)
                               else NOT_JSON) from None
    if len(text) > 2 * MAX_JSON_DEPTH and nests_deeper_than(text, MAX_JSON_DEPTH):
        raise RequestError(400, TOO_DEEP)
    return value


def parse_body(body: bytes, content_type: Optional[str]) -> Any:
    """HTTP-BODY: JSON → value, text/* → str, form → fields, anything else → bytes, none → None."""
    if not body:
        return None
    kind = media_type(content_type)
    if kind in JSON_TYPES:
        return parse_json(body)
    if kind.startswith("text/"):
        try:
            return body.decode(_charset(content_type or ""), errors="replace")
        except LookupError:
            return body.decode("utf-8", errors="replace")
    if kind == "application/x-www-form-urlencoded":
        return parse_fields(body.decode("utf-8", errors="replace"))
    return body
