"""The event SDK (SDK-EMIT, SDK-PUBLISH, SDK-BUILD, SDK-RESPONSE).

CloudEvents are POSTed in structured mode to PUBLISHER_PROXY_ADDRESS with the standard library's
HTTP client (so trace headers are injected like in any user call, TR-PROPAGATE) and a bounded timeout.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, Optional

#: seconds before a publish attempt fails (SDK-EMIT "bounded timeout")
PUBLISH_TIMEOUT_SECONDS = 10.0


class CloudEventPublishError(RuntimeError):
    """Publishing a CloudEvent failed: no address, network error, timeout or non-2xx answer."""

    code = "E_PUBLISH"


class Publisher:
    """Sends structured CloudEvents to one URL (the exact URL, no path added)."""

    def __init__(self, address: Optional[str], timeout: float = PUBLISH_TIMEOUT_SECONDS):
        self.address = address
        self.timeout = timeout

    def send(self, cloud_event: Dict[str, Any]) -> None:
        if not self.address:
            raise CloudEventPublishError(
                "cannot publish CloudEvent: PUBLISHER_PROXY_ADDRESS is not set")
        body = json.dumps(cloud_event).encode()
        request = urllib.request.Request(
            self.address, data=body, method="POST",
            headers={"Content-Type": "application/cloudevents+json; charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                answer.read()
        except urllib.error.HTTPError as exc:
            raise CloudEventPublishError(
                f"publishing CloudEvent to {self.address} failed: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CloudEventPublishError(
                f"publishing CloudEvent to {self.address} failed: {reason}") from None


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def with_data(cloud_event: Dict[str, Any], data: Any) -> Dict[str, Any]:
    """Set data and datacontenttype: text/plain for str, application/json for JSON values."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        cloud_event["datacontenttype"] = "application/octet-stream"
        cloud_event["data_base64"] = base64.b64encode(bytes(data)).decode()
    elif isinstance(data, str):
        cloud_event["datacontenttype"] = "text/plain"
        cloud_event["data"] = data
    elif data is not None:
        cloud_event["datacontenttype"] = "application/json"
        cloud_event["data"] = data
    return cloud_event


class EventSDK:
    """Methods of the handler's `event` (mixed into `event.Event`). Names follow Kyma's API."""

    publisher: Publisher

    def emitCloudEvent(self, type: str, source: str, data: Any,
                       optionalCloudEventAttributes: Optional[Dict[str, Any]] = None) -> None:
        cloud_event = with_data({
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "time": now_rfc3339(),
            "type": type,
            "source": source,
        }, data)
        if optionalCloudEventAttributes:
            cloud_event.update(optionalCloudEventAttributes)
        self.publisher.send(cloud_event)

    def publishCloudEvent(self, cloudEvent: Dict[str, Any]) -> None:
        """Deprecated: POST a complete structured CloudEvent as given."""
        self.publisher.send(dict(cloudEvent))

    def buildResponseCloudEvent(self, id: str, type: str, data: Any) -> Dict[str, Any]:
        """Deprecated: a CloudEvent with the incoming event's source; sends nothing."""
        return with_data({
            "specversion": "1.0",
            "id": id,
            "type": type,
            "source": self.get("ce-source"),  # type: ignore[attr-defined]
            "time": now_rfc3339(),
        }, data)

    def setResponseStatus(self, code: int) -> None:
        self["extensions"]["response"].status = code  # type: ignore[index]

    def setResponseHeader(self, name: str, value: Any) -> None:
        self["extensions"]["response"].headers[name] = str(value)  # type: ignore[index]

    def setResponseContentType(self, content_type: str) -> None:
        self["extensions"]["response"].headers["Content-Type"] = content_type  # type: ignore[index]
