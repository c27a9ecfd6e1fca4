"""fnruntime: the python312 function runtime (Kyma Serverless legacy `main(event, context)` API).

User code imports `HTTPResponse` from here (RES-CUSTOM). Importing this package is cheap: the
server and OpenTelemetry are only imported by `python -m fnruntime`.
"""

from .version import __version__


def __getattr__(name):
    if name == "HTTPResponse":
        from .respond import HTTPResponse

        return HTTPResponse
    if name == "CloudEventPublishError":
        from .sdk import CloudEventPublishError

        return CloudEventPublishError
    raise AttributeError(name)


__all__ = ["HTTPResponse", "CloudEventPublishError", "__version__"]
