# rtcheck's Python probe: one function that shows many behaviours, chosen by the request path, so one
# container serves most checks. Its twin is ../../nodejs/main/handler.js; both answer alike.
import base64
import json
import os
import sys
import threading
import time
import urllib.parse
import urllib.request

# Paths user code was called with: lets rtcheck prove that a request never reached the function.
calls = []
inflight = 0
lock = threading.Lock()

CE = ['ce-type', 'ce-source', 'ce-eventtypeversion', 'ce-specversion', 'ce-id', 'ce-time', 'ce-datacontenttype']
FIELDS = CE + ['data', 'tracer', 'extensions']
MISSING = object()


def item(mapping, key):
    try:
        return mapping[key]
    except (KeyError, TypeError, AttributeError):
        return MISSING


def value_or_none(mapping, key):
    value = item(mapping, key)
    return None if value is MISSING else value


def describe(data):
    if data is None:
        return {'type': 'null', 'value': None}
    if isinstance(data, (bytes, bytearray)):
        return {'type': 'bytes', 'base64': base64.b64encode(bytes(data)).decode('ascii')}
    if isinstance(data, bool):
        return {'type': 'boolean', 'value': data}
    if isinstance(data, (int, float)):
        return {'type': 'number', 'value': data}
    if isinstance(data, str):
        return {'type': 'string', 'value': data}
    if isinstance(data, (list, tuple)):
        return {'type': 'array', 'value': list(data)}
    return {'type': 'object', 'value': dict(data)}


def echo(event, context, request):
    tracer = value_or_none(event, 'tracer')
    return {
        'data': describe(value_or_none(event, 'data')),
        'ce': {key: value_or_none(event, key) for key in CE},
        'present': [key for key in FIELDS if item(event, key) is not MISSING],
        'tracer': 'function' if callable(getattr(tracer, 'start_span', None)) else 'undefined',
        'attrData': getattr(event, 'data', MISSING) is value_or_none(event, 'data'),
        'context': {key: value_or_none(context, key) for key in ['function-name', 'timeout', 'runtime', 'namespace', 'body-size-limit', 'memory-limit']},
        'request': {
            # What the runtime gives, as it gives it (EV-REQUEST judges these): missing parts show as None.
            'method': getattr(request, 'method', None),
            'path': getattr(request, 'path', None),
            'query': dict(getattr(request, 'query', None) or {}),
            'header': headers_of(request).get('x-rtcheck'),
            'rawBase64': raw_base64(getattr(request, 'body', None)),
            'json': request_json(request),
        },
    }


def headers_of(request):
    headers = getattr(request, 'headers', None)
    return headers if hasattr(headers, 'get') else {}


def query_of(request):
    """request.query, or the query string of request.path when the runtime gives no query."""
    query = getattr(request, 'query', None)
    if query is not None:
        return query
    return dict(urllib.parse.parse_qsl(str(getattr(request, 'path', '') or '').partition('?')[2]))


def raw_base64(body):
    return base64.b64encode(bytes(body)).decode('ascii') if isinstance(body, (bytes, bytearray)) else None


def request_json(request):
    try:
        return request.json
    except Exception as error:  # noqa: BLE001 - reported to rtcheck
        return {'error': f'request.json raised {error!r}'}


def emit(event):
    try:
        event.emitCloudEvent('rtcheck.emitted', '/rtcheck/probe', {'n': 1}, {'rtcheckext': 'yes'})
        event.emitCloudEvent('rtcheck.text', '/rtcheck/probe', 'plain text')
    except Exception as error:  # noqa: BLE001 - reported to rtcheck
        return {'ok': False, 'error': str(error)}
    refused_rejected = False
    try:
        event.emitCloudEvent('rtcheck.refused', '/rtcheck/probe', {'n': 2})
    except Exception:  # noqa: BLE001
        refused_rejected = True
    return {'ok': True, 'refusedRejected': refused_rejected}


def as_dict(cloud_event):
    if isinstance(cloud_event, dict):
        return cloud_event
    if hasattr(cloud_event, 'get_attributes'):
        return {**dict(cloud_event.get_attributes()), 'data': cloud_event.get_data()}
    return dict(vars(cloud_event))


def crash():
    def boom():
        raise RuntimeError('rtcheck uncaught exception from a thread')

    thread = threading.Thread(target=boom)
    thread.start()
    thread.join()
    return 'still here'


def main(event, context):
    global inflight
    request = event['extensions']['request']
    # The path without a query string, whatever the runtime put into request.path: a runtime that gets
    # that wrong fails EV-REQUEST, not every check whose route has a query.
    path = str(getattr(request, 'path', '/') or '/').split('?')[0]
    # rtcheck's evidence shows the log lines of the request it judges: mark where they begin, on both streams.
    request_id = headers_of(request).get('x-rtcheck-request')
    if request_id:
        print(f'[rtcheck-request {request_id}]', flush=True)
        print(f'[rtcheck-request {request_id}]', file=sys.stderr, flush=True)
    # rtcheck's own questions are answered as text, so that a runtime that renders lists and numbers
    # wrongly fails RES-VALUE alone, not every check that asks them.
    if path == '/__rtcheck/calls':
        with lock:
            return json.dumps(list(calls))
    if path == '/__rtcheck/inflight':
        return str(inflight)
    # Which container answered: rtcheck gives each one its own RTCHECK_NONCE (an image that ignores
    # FUNC_PORT would otherwise pass with another container's answers).
    if path == '/__rtcheck/nonce':
        return os.environ.get('RTCHECK_NONCE', '')
    with lock:
        calls.append(path)
    if path.startswith('/echo'):
        return echo(event, context, request)
    if path == '/throw':
        raise RuntimeError('rtcheck probe failure')
    if path == '/throw-value':
        raise KeyError('rtcheck probe failure (a KeyError)')
    if path == '/sleep':
        with lock:
            inflight += 1
        try:
            time.sleep(int(query_of(request)['ms']) / 1000)
        finally:
            with lock:
                inflight -= 1
        return 'slept'
    if path == '/value/string':
        return 'hello'
    if path == '/value/escapes':
        # KB-LAUNCH: the source must reach the image unchanged (a shell whose echo expands escapes breaks it).
        return 'tab\\t newline\\n backslash\\\\'
    if path == '/value/object':
        return {'a': 1}
    if path == '/value/array':
        return [1, 'two']
    if path == '/value/number':
        return 42
    if path == '/value/boolean':
        return True
    if path == '/value/bytes':
        return bytes([0, 1, 2, 255])
    if path == '/value/none':
        return None
    if path == '/value/async':
        return {'async': True}
    if path == '/value/content-type':
        event['extensions']['response'].headers['Content-Type'] = 'text/csv'
        return 'a,b'
    if path == '/custom':
        return ('custom body', 201, {'X-Rtcheck': 'custom'})
    if path == '/sdk-response':
        event.setResponseStatus(202)
        event.setResponseHeader('X-Rtcheck', 'sdk')
        event.setResponseContentType('text/x-rtcheck')
        return 'sdk body'
    if path == '/crash':
        return crash()
    if path == '/dep':
        import rtcheck_dep
        return rtcheck_dep.answer()
    if path == '/emit':
        return emit(event)
    if path == '/outgoing':
        with urllib.request.urlopen(query_of(request)['url'], timeout=3) as answer:
            return answer.read().decode('utf-8')
    if path == '/publish':
        event.publishCloudEvent({'specversion': '1.0', 'id': 'P-1', 'type': 'rtcheck.published', 'source': '/rtcheck/probe', 'datacontenttype': 'application/json', 'data': {'p': 1}})
        return 'published'
    if path == '/build':
        return as_dict(event.buildResponseCloudEvent('R-1', 'rtcheck.response', {'r': 1}))
    if path == '/span':
        span = event['tracer'].start_span('rtcheck-child')
        span.end()
        return 'span'
    return 'hello'
