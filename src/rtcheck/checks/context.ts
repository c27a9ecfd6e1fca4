// Section 6, the context object: names and types from the platform's env.
import { type Check, echoOf, runCases, statusIs } from '../check.js';

export const contextChecks: Check[] = [
  {
    clause: 'CTX-FIELDS',
    placement: 'main',
    run: (ctx) => {
      const expected: Record<string, unknown> = {
        'function-name': ctx.env.FUNC_NAME,
        timeout: Number(ctx.env.FUNC_TIMEOUT),
        runtime: ctx.env.FUNC_RUNTIME,
        namespace: ctx.env.SERVICE_NAMESPACE,
        'body-size-limit': Number(ctx.env.REQ_MB_LIMIT),
        // Deprecated, but still there when the platform sets FUNC_MEMORY_LIMIT (it does for rtcheck).
        'memory-limit': ctx.env.FUNC_MEMORY_LIMIT,
      };
      return runCases(
        ctx.subject,
        [
          {
            name: 'GET /echo (context)',
            request: { path: '/echo' },
            expect: (x) => {
              const echo = echoOf(x);
              if (!echo) return statusIs(x, 200) ?? 'the probe did not echo';
              const wrong = Object.entries(expected).filter(([key, value]) => echo.context[key] !== value);
              return wrong.length ? wrong.map(([key, value]) => `${key} was ${JSON.stringify(echo.context[key])}, expected ${JSON.stringify(value)}`).join('; ') : undefined;
            },
          },
        ],
        `context has ${Object.keys(expected).join(', ')} with the platform's values and types`,
      );
    },
  },
];
