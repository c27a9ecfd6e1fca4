"""KB-DEPS: a Function whose dependencies Kyma's launch installs at start, from the index and with the
credentials in package-registry-config/pip.conf. It also pins a fake opentelemetry-api that raises when
imported: the runtime's own libraries must still win (LOAD-DEPS), so tracing keeps working."""

import rtcheck_kb_dep


def main(event, context):
    if event["extensions"]["request"].path == "/span":
        with event["tracer"].start_as_current_span("rtcheck-kb-deps"):
            return "span"
    return rtcheck_kb_dep.answer()
