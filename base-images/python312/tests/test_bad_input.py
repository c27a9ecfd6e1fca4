"""Issue 15: what hostile or broken clients send, answered as the Node runtime answers it (the shared
catalogue at the repository root, test/fixtures/bad-input/cases.json, runs the same cases against
every built image; these run in-process). Each test names the finding it proves."""

import json
import socket
import threading

from conftest import poll, raw_exchange, serve

from fnruntime.limits import HEAD_RAW_BYTES, FEED_BYTES, Timeouts

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"


def post(content_type: str, body: bytes, extra: bytes = b"", path: bytes = b"/") -> bytes:
    return (b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: " + content_type.encode()
            + b"\r\n" + extra + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


# --- issue 15 #1: the request head's size and the client's time ---------------------------------

def test_HTTP_LIMIT_head_of_16384_counted_bytes_is_431_like_node_and_16383_is_answered():
    with serve("hello") as srv:
        def url(counted):  # counted: the URL, then "Host" + "x"
            return b"/" + b"a" * (counted - 5 - 1)
        assert raw_exchange(srv.port, b"GET " + url(16383) + b" HTTP/1.1\r\nHost: x\r\n\r\n").statuses == [200]
        big = raw_exchange(srv.port, b"GET " + url(16384) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                           until_closed=True)
        assert big.statuses == [431] and big.closed
        header = raw_exchange(srv.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Bomb: " + b"a" * 100_000
                              + b"\r\n\r\n", until_closed=True)
        assert header.statuses == [431]
        assert srv.calls() == 1


def test_HTTP_LIMIT_more_than_1000_header_fields_is_431():
    with serve("hello") as srv:
        def fields(n):
            return b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: 1\r\n" * (n - 1) + b"\r\n"
        assert raw_exchange(srv.port, fields(1000)).statuses == [200]
        assert raw_exchange(srv.port, fields(1001), until_closed=True).statuses == [431]


def test_HTTP_LIMIT_an_unfinished_head_is_refused_before_it_takes_memory():
    # The OOM: a header that never ends. The runtime answers 431 and closes once the head
    # passes HEAD_RAW_BYTES, however much the client still has to send.
    with serve("hello") as srv:
        sock = socket.create_connection(("127.0.0.1", srv.port))
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Bomb: ")
        sent = 0
        try:
            while sent < 10 * HEAD_RAW_BYTES:
                sock.sendall(b"a" * FEED_BYTES)
                sent += FEED_BYTES
        except OSError:
            pass  # closed by the runtime: what the test wants
        answer = raw_exchange(srv.port, b"", until_closed=True, sock=sock)
        assert answer.statuses == [431] and answer.closed, answer


def test_HTTP_LIMIT_a_stalled_client_cannot_hold_a_connection():
    timeouts = Timeouts(keep_alive=0.2, head=0.3, request=0.6, sweep=0.05)
    with serve("hello", timeouts=timeouts) as srv:
        # idle after an answer on a kept-alive connection: closed without a word
        idle = raw_exchange(srv.port, GET, until_closed=True)
        assert idle.statuses == [200] and idle.closed
        # a head that never ends, a body that never comes, a connection that sends nothing: 408
        head = raw_exchange(srv.port, b"GET / HTTP/1.1\r\nHost: x\r\n", until_closed=True)
        assert head.statuses == [408] and head.closed
        body = raw_exchange(srv.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab",
                            until_closed=True)
        assert body.statuses == [408] and body.closed
        silent = raw_exchange(srv.port, b"", until_closed=True)
        assert silent.statuses == [408] and silent.closed
        poll(lambda: not srv.app.connections)
        assert srv.calls() == 1


# --- issue 15 #2: deeply nested JSON ------------------------------------------------------------

def test_HTTP_BADJSON_nested_deeper_than_512_is_400_never_500_nor_a_traceback():
    with serve("echo") as srv:
        def nested(depth):
            return b"[" * depth + b"]" * depth
        for body in (nested(100_000), nested(1000), nested(513), b"[" * 100_000):
            answer = raw_exchange(srv.port, post("application/json", body))
            assert answer.statuses == [400], (len(body), answer)
        assert raw_exchange(srv.port, post("application/json", nested(100_000))).bodies == [
            b"Bad Request: the JSON body is nested deeper than 512 levels"]
        assert raw_exchange(srv.port, post("application/json", nested(512))).statuses == [200]
        inside_a_string = b'["' + b"[" * 2000 + b'"]'
        assert raw_exchange(srv.port, post("application/json", inside_a_string)).statuses == [200]
        assert "Traceback" not in srv.log_text and srv.calls() == 2


# --- issue 15 #3: timed-out `def` handlers do not starve the pool -------------------------------

def test_RES_TIMEOUT_timed_out_def_handlers_do_not_make_fast_handlers_wait():
    # Two threads, both held by handlers that run far past FUNC_TIMEOUT: a fast call still gets a
    # thread (before, it waited for one until its own timeout and got 408).
    with serve("slow", {"FUNC_TIMEOUT": "1"}, max_workers=2) as srv:
        stuck = []
        threads = [threading.Thread(target=lambda: stuck.append(srv.request("GET", "/?seconds=10")))
                   for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert [reply.status for reply in stuck] == [408, 408]
        fast = srv.request("GET", "/?seconds=0")
        assert (fast.status, fast.text) == (200, "slow done")
        assert srv.app.workers.abandoned == 2
        assert "2 timed-out handler thread(s) running" in srv.log_text


def test_RES_TIMEOUT_the_pool_is_bounded_and_says_so():
    # One thread for calls and one more for a timed-out call: a second timed-out call fills the
    # pool, and the call after it waits for a thread (and times out) instead of adding threads.
    with serve("slow", {"FUNC_TIMEOUT": "0.5"}, max_workers=1) as srv:
        srv.app.workers.max_abandoned = 1
        assert srv.request("GET", "/?seconds=10").status == 408
        assert srv.request("GET", "/?seconds=10").status == 408
        assert "the most there may be: new calls wait for a thread" in srv.log_text
        assert srv.request("GET", "/?seconds=0").status == 408
        assert srv.app.workers.threads == 2


# --- issue 15 #5 and #6: versions and the answers both runtimes agree on ------------------------

def test_HTTP_ROUTE_other_http_versions_are_505():
    with serve("hello") as srv:
        for line in (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", b"GET /\r\n\r\n"):
            answer = raw_exchange(srv.port, line, until_closed=True)
            assert answer.statuses == [505] and answer.closed, (line, answer)
        assert srv.calls() == 0


def test_HTTP_ROUTE_host_expect_connect_and_upgrade_as_node_answers_them():
    with serve("hello") as srv:
        no_host = raw_exchange(srv.port, b"GET / HTTP/1.1\r\n\r\n", until_closed=True)
        assert no_host.statuses == [400]
        assert no_host.bodies == [b"Bad Request: an HTTP/1.1 request needs a Host header"]
        bogus = raw_exchange(srv.port, b"GET / HTTP/1.1\r\nHost: x\r\nExpect: x-bogus\r\n\r\n",
                             until_closed=True)
        assert bogus.statuses == [417] and bogus.closed
        connect = raw_exchange(srv.port, b"CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n", until_closed=True)
        assert connect.statuses == [400]
        upgrade = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
        assert raw_exchange(srv.port, upgrade + GET, answers=2).statuses == [200, 200]
        assert srv.calls() == 2


def test_HTTP_ROUTE_earlier_pipelined_requests_keep_their_answers():
    with serve("slow") as srv:
        fast = b"GET /?seconds=0.05 HTTP/1.1\r\nHost: x\r\n\r\n"
        garbage = raw_exchange(srv.port, fast + b"GARBAGE\r\n\r\n", until_closed=True)
        assert garbage.statuses == [200, 400], garbage
        close = fast.replace(b"Host: x", b"Host: x\r\nConnection: close")
        after_close = raw_exchange(srv.port, close + fast, until_closed=True)
        assert after_close.statuses == [200], after_close
        version = raw_exchange(srv.port, fast + b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", until_closed=True)
        assert version.statuses == [200, 505], version


def test_HTTP_BADJSON_json_is_utf8_without_nan_and_big_integers_are_doubles():
    with serve("echo") as srv:
        assert raw_exchange(srv.port, post("application/json", '{"a":1}'.encode("utf-16-le"))).statuses == [400]
        latin1 = raw_exchange(srv.port, post("application/json", b'{"a":"caf\xe9"}'))
        assert latin1.bodies == [b"Bad Request: the JSON body is not UTF-8"]
        for body in (b"NaN", b'{"a":-Infinity}'):
            assert raw_exchange(srv.port, post("application/json", body)).statuses == [400], body
    with serve("hello") as srv:  # parsed (to infinity, as in Node), not refused
        assert raw_exchange(srv.port, post("application/json", b"1" * 5000)).statuses == [200]


def test_EV_BINARY_invalid_percent_encoding_is_400_naming_the_header():
    with serve("echo") as srv:
        for source in (b"/a%zz%20b", b"/caf%E9", b"/a%C0%A0b"):
            extra = b"ce-specversion: 1.0\r\nce-id: 1\r\nce-type: t\r\nce-source: " + source + b"\r\n"
            answer = raw_exchange(srv.port, post("text/plain", b"x", extra))
            assert answer.bodies == [b"Bad Request: invalid binary-mode CloudEvent: ce-source is not "
                                     b"valid percent-encoded UTF-8"], source
        extra = b"ce-specversion: 1.0\r\nce-id: 1\r\nce-type: t\r\nce-source: /a%20b%E2%82%AC\r\n"
        good = raw_exchange(srv.port, post("text/plain", b"x", extra))
        assert json.loads(good.bodies[0])["ce"]["ce-source"] == "/a b\u20ac"


def test_EV_STRUCTURED_data_base64_must_be_standard_padded_base64():
    with serve("echo") as srv:
        for value in (b'"@@@"', b'"YWJjZA"', b"5"):
            body = b'{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":' + value + b"}"
            answer = raw_exchange(srv.port, post("application/cloudevents+json", body))
            assert answer.statuses == [400], value
        body = b'{"specversion":"1.0","id":"1","source":"/s","type":"t","data_base64":"YWJjZA=="}'
        answer = raw_exchange(srv.port, post("application/cloudevents+json", body))
        assert json.loads(answer.bodies[0])["data"] == {"$bytes": "YWJjZA=="}


def test_RES_TIMEOUT_a_def_invocation_leaves_no_cycle_behind():
    # The pool's job refers to its invocation and event (body included). A cycle between them left
    # every call's body to the cyclic GC, which the runtime runs rarely (__main__._tune_gc): the
    # soak's RSS grew 160 → 420 MB in a minute. Without cycles, reference counting frees them at once.
    import gc

    from fnruntime.invocation import Invocation

    with serve("echo") as srv:
        gc.collect()
        gc.disable()
        try:
            for _ in range(50):
                assert srv.request("POST", "/", body=b"x" * 1000,
                                   headers={"Content-Type": "application/octet-stream"}).status == 200
            # This server's only: earlier tests' timed-out handlers may still run on their threads.
            alive = sum(1 for obj in gc.get_objects()
                        if isinstance(obj, Invocation) and obj.app is srv.app)
        finally:
            gc.enable()
        assert alive <= 2, f"{alive} invocations still alive after their answers"
