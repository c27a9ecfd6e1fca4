"""Section 5: the event SDK (SDK-EMIT, SDK-PUBLISH, SDK-BUILD, SDK-RESPONSE)."""

import re
import time
import uuid

from conftest import free_port, serve
from peers import Peer

from fnruntime.sdk import Publisher

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def test_SDK_EMIT_posts_one_structured_cloudevent_to_the_exact_address(sink):
    address = sink.url + "/publish/exact?x=1"
    with serve("sdk", {"PUBLISHER_PROXY_ADDRESS": address}) as srv:
        reply = srv.request("GET", "/?action=emit")
    assert reply.json() == {"raised": None}
    (sent,) = sink.wait_for(lambda requests: len(requests) == 1)
    assert sent.method == "POST" and sent.path == "/publish/exact?x=1"
    assert sent.headers["content-type"].startswith("application/cloudevents+json")
    event = sent.json()
    assert event["specversion"] == "1.0"
    assert event["type"] == "order.created" and event["source"] == "orders"
    assert event["data"] == {"id": 7}
    assert event["datacontenttype"] == "application/json"
    assert event["eventtypeversion"] == "v1"
    assert uuid.UUID(event["id"])
    assert RFC3339.match(event["time"])


def test_SDK_EMIT_string_data_is_text_plain(sink):
    with serve("sdk", {"PUBLISHER_PROXY_ADDRESS": sink.url}) as srv:
        srv.request("GET", "/?action=emit-text")
    (sent,) = sink.wait_for(lambda requests: len(requests) == 1)
    assert sent.json()["datacontenttype"] == "text/plain"
    assert sent.json()["data"] == "some text"


def test_SDK_EMIT_raises_on_non_2xx():
    peer = Peer(status=500)
    try:
        with serve("sdk", {"PUBLISHER_PROXY_ADDRESS": peer.url}) as srv:
            body = srv.request("GET", "/?action=emit").json()
    finally:
        peer.close()
    assert body["raised"] == "CloudEventPublishError" and "HTTP 500" in body["message"]


def test_SDK_EMIT_raises_on_network_error():
    address = f"http://127.0.0.1:{free_port()}/"
    with serve("sdk", {"PUBLISHER_PROXY_ADDRESS": address}) as srv:
        body = srv.request("GET", "/?action=emit").json()
    assert body["raised"] == "CloudEventPublishError" and address in body["message"]


def test_SDK_EMIT_raises_after_a_bounded_timeout():
    peer = Peer(delay=10)
    try:
        with serve("sdk", {"PUBLISHER_PROXY_ADDRESS": peer.url},
                   publisher=Publisher(peer.url, timeout=0.3)) as srv:
            started = time.monotonic()
            body = srv.request("GET", "/?action=emit").json()
            elapsed = time.monotonic() - started
    finally:
        peer.close()
    assert body["raised"] == "CloudEventPublishError"
    assert "timed out" in body["message"]
    assert elapsed < 3


def test_SDK_EMIT_without_address_raises_a_clear_message():
    with serve("sdk") as srv:
        body = srv.request("GET", "/?action=emit").json()
    assert body["raised"] == "CloudEventPublishError"
    assert "PUBLISHER_PROXY_ADDRESS is not set" in body["message"]


def test_SDK_PUBLISH_posts_the_given_cloudevent_as_is(sink):
    with serve("sdk", {"PUBLISHER_PROXY_ADDRESS": sink.url}) as srv:
        srv.request("GET", "/?action=publish")
    (sent,) = sink.wait_for(lambda requests: len(requests) == 1)
    assert sent.json() == {"specversion": "1.0", "id": "given-id", "type": "given.type",
                           "source": "given-source", "data": {"x": 1},
                           "datacontenttype": "application/json"}


def test_SDK_BUILD_returns_a_cloudevent_with_incoming_source_and_sends_nothing(sink):
    with serve("sdk", {"PUBLISHER_PROXY_ADDRESS": sink.url}) as srv:
        reply = srv.request("POST", "/?action=build", body=b"{}", headers={
            "ce-specversion": "1.0", "ce-type": "in", "ce-source": "incoming-source", "ce-id": "9",
            "Content-Type": "application/json"})
    event = reply.json()
    assert event["id"] == "resp-1" and event["type"] == "reply.type"
    assert event["source"] == "incoming-source" and event["specversion"] == "1.0"
    assert event["data"] == {"answer": 42}
    assert sink.requests == []


def test_SDK_RESPONSE_set_status_header_and_content_type():
    with serve("values") as srv:
        reply = srv.request("GET", "/?kind=sdk-response")
    assert reply.status == 202
    assert reply.headers["x-sdk"] == "1"
    assert reply.headers["content-type"] == "application/xml"
    assert reply.text == "<ok/>"
