// KB-DEPS: a Function whose dependencies Kyma's launch installs at start, from the registry and with
// the credentials in package-registry-config/.npmrc. It also pins a fake @opentelemetry/api that throws
// when loaded: the runtime's own libraries must still win (LOAD-DEPS), so tracing keeps working.
'use strict';
const dep = require('rtcheck-kb-dep');

module.exports = {
  main: async (event) => {
    if (event.extensions.request.path === '/span') {
      event.tracer.startSpan('rtcheck-kb-deps').end();
      return 'span';
    }
    return dep.answer();
  },
};
