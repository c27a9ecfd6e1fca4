# rtcheck's stand-in for a user's pin of another opentelemetry-api: the runtime must never import it.
raise ImportError("rtcheck: the runtime imported the Function's own opentelemetry-api instead of its own (LOAD-DEPS, KB-DEPS)")
