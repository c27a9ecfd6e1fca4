"""Finding and importing the user's handler (LOAD-PATH, LOAD-DEPS, LOAD-FAIL).

`load_function(options)` returns a `LoadedFunction` or raises one of the typed `LoadError`s;
only `__main__` turns them into the one stderr line and the exit code.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import time
from dataclasses import dataclass
from typing import Callable, List

from .options import Options


class LoadError(Exception):
    """The function cannot be loaded. `str()` is the one line printed to stderr."""

    code = "E_LOAD"

    def __init__(self, path: str, reason: str):
        super().__init__(f"cannot load function {path}: {reason}")
        self.path = path
        self.reason = reason


class ModuleMissing(LoadError):
    code = "E_MODULE_MISSING"


class ModuleSyntaxError(LoadError):
    code = "E_SYNTAX"


class ModuleImportError(LoadError):
    code = "E_IMPORT"


class HandlerMissing(LoadError):
    code = "E_HANDLER_MISSING"


class HandlerNotCallable(LoadError):
    code = "E_HANDLER_NOT_CALLABLE"


@dataclass(frozen=True)
class LoadedFunction:
    handler: Callable
    path: str
    name: str
    is_async: bool
    load_seconds: float


def user_path_entries(options: Options) -> List[str]:
    """Directories appended to sys.path for user code, in order (LOAD-DEPS).

    The builder installs requirements.txt with `pip install --target $KUBELESS_INSTALL_VOLUME/lib`;
    the kubeless `--prefix` layout (lib/pythonX.Y/site-packages) is honoured too.
    They go AFTER the runtime's own entries, so user pins never replace the runtime's libraries.
    """
    base = options.source_dir
    lib = os.path.join(base, "lib")
    versioned = os.path.join(lib, f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages")
    return [base, lib, versioned]


def _extend_sys_path(entries: List[str]) -> None:
    for entry in entries:
        if entry not in sys.path:
            sys.path.append(entry)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def load_function(options: Options) -> LoadedFunction:
    started = time.perf_counter()
    path = options.module_path
    if not os.path.isfile(path):
        raise ModuleMissing(path, "file not found")
    _extend_sys_path(user_path_entries(options))
    spec = importlib.util.spec_from_file_location(options.module_name, path)
    if spec is None or spec.loader is None:
        raise ModuleImportError(path, "not a loadable Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[options.module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(options.module_name, None)
        where = f" (line {exc.lineno})" if exc.lineno else ""
        raise ModuleSyntaxError(path, f"{type(exc).__name__}: {exc.msg}{where}") from None
    except BaseException as exc:  # ImportError, any raise at import time, even SystemExit
        sys.modules.pop(options.module_name, None)
        raise ModuleImportError(path, f"import failed: {_describe(exc)}") from None
    if not hasattr(module, options.handler_name):
        raise HandlerMissing(path, f"no function named '{options.handler_name}' (FUNC_HANDLER)")
    handler = getattr(module, options.handler_name)
    if not callable(handler):
        raise HandlerNotCallable(
            path, f"'{options.handler_name}' is a {type(handler).__name__}, not a function")
    is_async = inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(handler, "__call__", None))
    return LoadedFunction(handler=handler, path=path, name=options.handler_name,
                          is_async=is_async, load_seconds=time.perf_counter() - started)
