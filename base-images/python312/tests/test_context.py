"""Section 6: the context object (CTX-FIELDS)."""

from conftest import serve


def test_CTX_FIELDS_names_values_and_types():
    with serve("context", {"FUNC_NAME": "orders", "FUNC_TIMEOUT": "30", "FUNC_RUNTIME": "python312",
                           "SERVICE_NAMESPACE": "shop", "REQ_MB_LIMIT": "2"}) as srv:
        body = srv.request().json()
    assert body == {"function-name": ["orders", "str"], "timeout": [30, "int"],
                    "runtime": ["python312", "str"], "namespace": ["shop", "str"],
                    "body-size-limit": [2, "int"]}


def test_CTX_FIELDS_defaults_and_deprecated_memory_limit_when_set():
    with serve("context", {"FUNC_MEMORY_LIMIT": "128Mi"}) as srv:
        body = srv.request().json()
    assert body["timeout"] == [180, "int"]
    assert body["body-size-limit"] == [1, "int"]
    assert body["memory-limit"] == ["128Mi", "str"]


def test_CTX_FIELDS_fractional_numbers_stay_numbers():
    with serve("context", {"FUNC_TIMEOUT": "1.5", "REQ_MB_LIMIT": "0.5"}) as srv:
        body = srv.request().json()
    assert body["timeout"] == [1.5, "float"]
    assert body["body-size-limit"] == [0.5, "float"]
    assert "memory-limit" not in body
