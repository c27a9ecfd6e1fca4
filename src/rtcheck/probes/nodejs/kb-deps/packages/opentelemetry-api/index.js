'use strict';
// rtcheck's stand-in for a user's pin of another @opentelemetry/api: the runtime must never load it.
throw new Error("rtcheck: the runtime loaded the Function's own @opentelemetry/api instead of its own (LOAD-DEPS, KB-DEPS)");
