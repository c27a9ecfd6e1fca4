"""What one connection may cost: the request head's size, and how long a client may take.

The numbers are the Node runtime's (its `src/http-server.ts`), so that both runtimes refuse the same
requests (the shared catalogue, `test/fixtures/bad-input/cases.json` at the repository root):

- HTTP-LIMIT, the head: the URL plus every header name and value must stay under 16 KiB (16 384 bytes
  or more → 431), and a request has at most 1000 header fields (more → 431);
- a kept-alive connection with no request in it is closed after 5 s;
- a request head must arrive within 60 s of its first byte, the whole request within 300 s → 408.

Without them a client could hold a connection, and the memory of its half-read head, forever
(issue 15: a 50 MB header OOM-killed a 256 MB container).
"""

from __future__ import annotations

from dataclasses import dataclass

#: bytes of URL + header names + values at which a head is refused (Node's maxHeaderSize)
HEAD_LIMIT_BYTES = 16384
#: header fields a request may have
MAX_HEADER_FIELDS = 1000
#: the parser is fed at most this many bytes at a time, so an unfinished head is noticed early
FEED_BYTES = 8192
#: raw bytes an unfinished head may take while it arrives (the parser keeps a header value in memory
#: until it is complete): twice the limit, the separators of MAX_HEADER_FIELDS fields (": ", CRLF)
#: and one feed of slack; a head that gets there is over the limit however it is spaced
HEAD_RAW_BYTES = 2 * HEAD_LIMIT_BYTES + 4 * MAX_HEADER_FIELDS + FEED_BYTES


@dataclass(frozen=True)
class Timeouts:
    """Seconds; `sweep` is how often connections are checked (tests make all of them short)."""

    keep_alive: float = 5.0
    head: float = 60.0
    request: float = 300.0
    sweep: float = 1.0


DEFAULT_TIMEOUTS = Timeouts()
