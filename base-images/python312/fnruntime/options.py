"""Every setting of the runtime in one table: environment variable, default, validation.

`load_options(env)` takes the environment as a mapping so tests never touch `os.environ`;
it returns one frozen `Options` value or raises `OptionsError` naming the bad variable.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Callable, Mapping, Optional, Union

Number = Union[int, float]


class OptionsError(ValueError):
    """A setting has a value the runtime cannot use."""

    code = "E_OPTIONS"


def _text(value: str) -> str:
    return value


def _optional_text(value: str) -> Optional[str]:
    return value or None


def _port(value: str) -> int:
    port = int(value)
    if not 0 < port < 65536:
        raise ValueError("must be a TCP port between 1 and 65535")
    return port


def _positive_number(value: str) -> Number:
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError("must be a positive number")
    return int(number) if number.is_integer() else number


def _flag(value: str) -> bool:
    return value.strip().lower() == "true"


@dataclass(frozen=True)
class Setting:
    env: str
    field: str
    default: Optional[str]
    parse: Callable[[str], object]
    doc: str


#: The table. Defaults are strings, parsed like values from the environment.
SETTINGS = (
    Setting("FUNC_PORT", "port", "8080", _port, "HTTP port (HTTP-PORT)"),
    Setting("FUNC_TIMEOUT", "timeout", "180", _positive_number,
            "seconds before an invocation answers 408 (RES-TIMEOUT)"),
    Setting("REQ_MB_LIMIT", "body_limit_mb", "1", _positive_number,
            "request body limit in MiB (HTTP-LIMIT)"),
    Setting("FUNC_NAME", "function_name", "", _text, "context['function-name'], service.name"),
    Setting("SERVICE_NAMESPACE", "namespace", "", _text, "context['namespace']"),
    Setting("FUNC_RUNTIME", "runtime", "python312", _text, "context['runtime'] (IMG-RUNTIME)"),
    Setting("FUNC_MEMORY_LIMIT", "memory_limit", None, _optional_text,
            "context['memory-limit'] when set (deprecated)"),
    Setting("MOD_NAME", "module_name", "handler", _text, "module file name without .py (LOAD-PATH)"),
    Setting("FUNC_HANDLER", "handler_name", "main", _text, "function name in the module (LOAD-PATH)"),
    Setting("KUBELESS_INSTALL_VOLUME", "install_volume", "/kubeless", _text,
            "directory of the function sources (IMG-VOLUME)"),
    Setting("FUNCTION_PATH", "function_path", None, _optional_text,
            "Kyma override of the sources directory (LOAD-PATH)"),
    Setting("TRACE_COLLECTOR_ENDPOINT", "trace_endpoint", None, _optional_text,
            "full OTLP/HTTP traces URL; unset = nothing exported (TR-EXPORT)"),
    Setting("PUBLISHER_PROXY_ADDRESS", "publisher_address", None, _optional_text,
            "URL that emitCloudEvent POSTs to (SDK-EMIT)"),
    Setting("KYMA_INTERNAL_LOGGER_ENABLED", "access_log", "false", _flag,
            "'true' prints one access-log line per request (LC-LOG)"),
    Setting("OTEL_SERVICE_NAME", "otel_service_name", None, _optional_text,
            "overrides service.name (TR-EXPORT)"),
    Setting("OTEL_RESOURCE_ATTRIBUTES", "otel_resource_attributes", None, _optional_text,
            "extra resource attributes k=v,k=v; may set service.name (TR-EXPORT)"),
)


@dataclass(frozen=True)
class Options:
    port: int
    timeout: Number
    body_limit_mb: Number
    function_name: str
    namespace: str
    runtime: str
    memory_limit: Optional[str]
    module_name: str
    handler_name: str
    install_volume: str
    function_path: Optional[str]
    trace_endpoint: Optional[str]
    publisher_address: Optional[str]
    access_log: bool
    otel_service_name: Optional[str]
    otel_resource_attributes: Optional[str]

    @property
    def body_limit_bytes(self) -> int:
        return int(self.body_limit_mb * 1024 * 1024)

    @property
    def source_dir(self) -> str:
        """FUNCTION_PATH wins over KUBELESS_INSTALL_VOLUME (LOAD-PATH)."""
        return self.function_path or self.install_volume

    @property
    def module_path(self) -> str:
        return os.path.join(self.source_dir, self.module_name + ".py")

    def context(self) -> dict:
        """The handler's second argument (CTX-FIELDS)."""
        ctx = {
            "function-name": self.function_name,
            "timeout": self.timeout,
            "runtime": self.runtime,
            "namespace": self.namespace,
            "body-size-limit": self.body_limit_mb,
        }
        if self.memory_limit is not None:
            ctx["memory-limit"] = self.memory_limit
        return ctx


def load_options(env: Mapping[str, str]) -> Options:
    values = {}
    for setting in SETTINGS:
        raw = env.get(setting.env)
        if raw is None or raw == "":
            raw = setting.default
        if raw is None:
            values[setting.field] = None
            continue
        try:
            values[setting.field] = setting.parse(raw.strip() if setting.parse is not _text else raw)
        except ValueError as err:
            raise OptionsError(f"invalid {setting.env}={raw!r}: {err}") from None
    return Options(**values)
