"""The settings table (options.py): defaults, overrides and validation errors."""

import pytest

from fnruntime.options import SETTINGS, OptionsError, load_options


def test_CTX_FIELDS_options_defaults():
    options = load_options({})
    assert (options.port, options.timeout, options.body_limit_mb) == (8080, 180, 1)
    assert options.body_limit_bytes == 1024 * 1024
    assert options.module_name == "handler" and options.handler_name == "main"
    assert options.trace_endpoint is None and options.publisher_address is None
    assert options.access_log is False


@pytest.mark.parametrize("name, value", [
    ("FUNC_PORT", "0"), ("FUNC_PORT", "70000"), ("FUNC_TIMEOUT", "-1"), ("FUNC_TIMEOUT", "soon"),
    ("REQ_MB_LIMIT", "0"), ("REQ_MB_LIMIT", "nan"),
])
def test_CTX_FIELDS_invalid_numbers_are_refused_naming_the_variable(name, value):
    with pytest.raises(OptionsError, match=name):
        load_options({name: value})


def test_LC_LOG_invalid_setting_exits_2_with_one_stderr_line():
    import subprocess
    import sys

    from conftest import cli_env

    proc = subprocess.run([sys.executable, "-m", "fnruntime"], capture_output=True, timeout=10,
                          env=cli_env("hello", FUNC_TIMEOUT="never"))
    assert proc.returncode == 2
    assert proc.stderr.decode().splitlines() == [
        "fnruntime: invalid FUNC_TIMEOUT='never': could not convert string to float: 'never'"]


def test_every_setting_is_documented_in_the_table():
    names = {setting.env for setting in SETTINGS}
    assert {"FUNC_PORT", "FUNC_TIMEOUT", "REQ_MB_LIMIT", "FUNC_NAME", "SERVICE_NAMESPACE",
            "FUNC_RUNTIME", "FUNC_MEMORY_LIMIT", "MOD_NAME", "FUNC_HANDLER", "FUNCTION_PATH",
            "KUBELESS_INSTALL_VOLUME", "TRACE_COLLECTOR_ENDPOINT", "PUBLISHER_PROXY_ADDRESS",
            "KYMA_INTERNAL_LOGGER_ENABLED", "OTEL_SERVICE_NAME"} <= names
    assert all(setting.doc for setting in SETTINGS)
