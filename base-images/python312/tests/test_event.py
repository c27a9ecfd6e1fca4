"""Section 4: the event object (EV-FIELDS, EV-BINARY, EV-STRUCTURED, EV-INVALID, EV-BATCH,
EV-PLAIN, EV-TIME, EV-REQUEST)."""

import base64
import json

import pytest
from conftest import serve

from fnruntime.event import AttrDict, Event

CE_KEYS = ["ce-datacontenttype", "ce-eventtypeversion", "ce-id", "ce-source", "ce-specversion",
           "ce-time", "ce-type"]
BINARY = {"ce-specversion": "1.0", "ce-type": "order.created", "ce-source": "/shop",
          "ce-id": "A-1", "ce-time": "2024-05-01T10:00:00.123+02:00",
          "ce-eventtypeversion": "v1", "Content-Type": "application/json"}


def test_EV_FIELDS_event_has_all_fields_and_data_works_as_key_and_attribute():
    with serve("echo") as srv:
        body = srv.request("POST", "/", body={"k": "v"}).json()
    for key in CE_KEYS + ["data", "tracer", "extensions"]:
        assert key in body["keys"]
    assert body["data"] == {"k": "v"}
    assert body["data_attr_same"] is True
    assert body["is_tracer"] is True
    assert body["has_response"] is True


def test_EV_FIELDS_event_attribute_access_unit():
    event = Event.fromkeys(CE_KEYS)
    event.update({"data": 1, "ce-type": "t", "extensions": AttrDict(request="r")})
    assert event.data == 1 and event["data"] == 1
    assert event.ce_type == "t"
    assert event.extensions.request == "r"
    with pytest.raises(AttributeError):
        event.nothing_here


def test_EV_BINARY_ce_headers_become_fields_and_other_ce_headers_extensions():
    headers = dict(BINARY, **{"CE-Source": "%2Fshop%20eu", "Ce-Partition": "p%3D1"})
    del headers["ce-source"]
    with serve("echo") as srv:
        body = srv.request("POST", "/", body=b'{"n": 1}', headers=headers).json()
    ce = body["ce"]
    assert ce["ce-type"] == "order.created"
    assert ce["ce-source"] == "/shop eu"  # percent-decoded, header name in any case
    assert ce["ce-id"] == "A-1"
    assert ce["ce-specversion"] == "1.0"
    assert ce["ce-eventtypeversion"] == "v1"
    assert ce["ce-partition"] == "p=1"
    assert ce["ce-datacontenttype"] == "application/json"
    assert body["data"] == {"n": 1}


def test_EV_BINARY_type_and_source_without_specversion_is_a_cloudevent_and_must_be_complete():
    with serve("echo") as srv:
        reply = srv.request("POST", "/", body="x", headers={
            "ce-type": "t", "ce-source": "s", "Content-Type": "text/plain"})
        assert reply.status == 400
        assert "id" in reply.text and "specversion" in reply.text
        assert srv.calls() == 0


def test_EV_BINARY_data_follows_http_body_rules():
    with serve("echo") as srv:
        body = srv.request("POST", "/", body=b"plain words",
                           headers=dict(BINARY, **{"Content-Type": "text/plain"})).json()
    assert body["data"] == "plain words"
    assert body["ce"]["ce-datacontenttype"] == "text/plain"


def test_EV_STRUCTURED_attributes_from_json_and_data_from_data():
    document = {"specversion": "1.0", "type": "t.s", "source": "src", "id": "S-1",
                "time": "2024-05-01T10:00:00Z", "datacontenttype": "application/json",
                "eventtypeversion": "v2", "data": {"x": [1, 2]}}
    with serve("echo") as srv:
        body = srv.request("POST", "/", body=json.dumps(document),
                           headers={"Content-Type": "application/cloudevents+json; charset=utf-8"}
                           ).json()
    assert body["ce"]["ce-type"] == "t.s"
    assert body["ce"]["ce-id"] == "S-1"
    assert body["ce"]["ce-eventtypeversion"] == "v2"
    assert body["ce"]["ce-datacontenttype"] == "application/json"
    assert body["data"] == {"x": [1, 2]}
    assert "ce-data" not in body["ce"]


def test_EV_STRUCTURED_data_base64_is_decoded_to_bytes():
    document = {"specversion": "1.0", "type": "t", "source": "s", "id": "1",
                "data_base64": base64.b64encode(b"\x01\x02").decode()}
    with serve("echo") as srv:
        body = srv.request("POST", "/", body=json.dumps(document),
                           headers={"Content-Type": "application/cloudevents+json"}).json()
    assert body["data"] == {"$bytes": base64.b64encode(b"\x01\x02").decode()}


@pytest.mark.parametrize("missing", ["id", "source", "specversion", "type"])
def test_EV_INVALID_structured_missing_attribute_gets_400_naming_it(missing):
    document = {"specversion": "1.0", "type": "t", "source": "s", "id": "1", "data": 1}
    del document[missing]
    with serve("echo") as srv:
        reply = srv.request("POST", "/", body=json.dumps(document),
                            headers={"Content-Type": "application/cloudevents+json"})
        assert reply.status == 400
        assert missing in reply.text
        assert srv.calls() == 0


@pytest.mark.parametrize("missing", ["ce-id", "ce-source", "ce-type"])
def test_EV_INVALID_binary_missing_attribute_gets_400_naming_it(missing):
    headers = dict(BINARY)
    del headers[missing]
    with serve("echo") as srv:
        reply = srv.request("POST", "/", body=b"{}", headers=headers)
        assert reply.status == 400
        assert missing[3:] in reply.text
        assert srv.calls() == 0


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_EV_INVALID_specversion_other_than_1_0_gets_400(mode):
    with serve("echo") as srv:
        if mode == "binary":
            reply = srv.request("POST", "/", body=b"{}", headers=dict(BINARY, **{"ce-specversion": "0.3"}))
        else:
            reply = srv.request("POST", "/", body=json.dumps(
                {"specversion": "0.3", "type": "t", "source": "s", "id": "1"}),
                headers={"Content-Type": "application/cloudevents+json"})
        assert reply.status == 400 and "specversion" in reply.text and "0.3" in reply.text
        assert srv.calls() == 0


def test_EV_INVALID_structured_body_that_is_not_an_object_gets_400():
    with serve("echo") as srv:
        reply = srv.request("POST", "/", body=b"[1]",
                            headers={"Content-Type": "application/cloudevents+json"})
        assert reply.status == 400 and srv.calls() == 0


def test_EV_BATCH_batch_content_type_gets_415_with_plain_reason():
    with serve("echo") as srv:
        reply = srv.request("POST", "/", body=b"[]",
                            headers={"Content-Type": "application/cloudevents-batch+json"})
        assert reply.status == 415
        assert reply.headers["content-type"].startswith("text/plain")
        assert "batch" in reply.text.lower()
        assert srv.calls() == 0


def test_EV_PLAIN_non_cloudevent_has_no_ce_values():
    with serve("echo") as srv:
        body = srv.request("POST", "/", body={"a": 1}, headers={"ce-type": "only-type"}).json()
    assert all(value is None for value in body["ce"].values())
    assert sorted(body["ce"]) == CE_KEYS
    assert body["data"] == {"a": 1}


@pytest.mark.parametrize("sent", ["2024-05-01T10:00:00.123456789+02:00", "not even a date"])
def test_EV_TIME_ce_time_is_the_string_that_was_sent(sent):
    with serve("echo") as srv:
        binary = srv.request("POST", "/", body=b"{}", headers=dict(BINARY, **{"ce-time": sent})).json()
        structured = srv.request("POST", "/", body=json.dumps(
            {"specversion": "1.0", "type": "t", "source": "s", "id": "1", "time": sent}),
            headers={"Content-Type": "application/cloudevents+json"}).json()
    assert binary["ce"]["ce-time"] == sent
    assert structured["ce"]["ce-time"] == sent


def test_EV_REQUEST_request_gives_method_path_headers_query_body_json():
    with serve("echo") as srv:
        body = srv.request("PUT", "/items/7?q=x&tag=a&tag=b", body={"n": 1},
                           headers={"X-Trace-Me": "yes"}).json()
    request = body["request"]
    assert request["method"] == "PUT"
    assert request["path"] == "/items/7"
    assert request["query"] == {"q": "x", "tag": ["a", "b"]}
    assert request["headers"]["x-trace-me"] == "yes"
    assert base64.b64decode(request["body"]) == b'{"n": 1}'
    assert request["json"] == {"n": 1}


def test_EV_REQUEST_response_status_and_headers_are_applied_on_return():
    with serve("values") as srv:
        reply = srv.request("GET", "/?kind=status")
    assert reply.status == 201
    assert reply.headers["x-custom"] == "yes"
    assert reply.text == "created"


def test_EV_REQUEST_response_status_must_be_a_valid_integer():
    from fnruntime.event import Response

    response = Response()
    response.status = "404"
    assert response.status == 404
    with pytest.raises(ValueError):
        response.status = 1000
