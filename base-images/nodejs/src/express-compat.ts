// Express-compatible request/response classes for node:http (EV-REQUEST, RES-CUSTOM).
//
// Express turns node's req/res into its own objects by swapping their prototypes on every request
// (Object.setPrototypeOf in its init middleware). That swap makes V8 drop its fast paths for the
// objects node's http code then keeps using: in this runtime it cost ~70 µs of CPU per request, more
// than everything else together. Instead, the server is given subclasses of IncomingMessage and
// ServerResponse that carry express's request/response methods from the start, so every request is
// born an express request and nothing changes shape later.
import type { Express, Request, Response } from 'express';
import http from 'node:http';

function copyMembers(from: object, to: object): void {
  for (const key of Reflect.ownKeys(from)) {
    if (key === 'constructor') continue;
    Object.defineProperty(to, key, Object.getOwnPropertyDescriptor(from, key)!);
  }
}

/** A lazily created per-object value on a prototype (e.g. res.locals), settable like a plain field. */
function lazyField(proto: object, name: string, make: () => unknown): void {
  Object.defineProperty(proto, name, {
    configurable: true,
    get(this: object) {
      const value = make();
      Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
      return value;
    },
    set(this: object, value: unknown) {
      Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
    },
  });
}

export interface ExpressClasses {
  IncomingMessage: typeof http.IncomingMessage;
  ServerResponse: typeof http.ServerResponse;
}

const CORS_HEADER = 'access-control-allow-origin';

/**
 * The response class the server creates (before express's members are copied onto it): what the
 * runtime keeps per response, and Access-Control-Allow-Origin: * added when the headers go out
 * (HTTP-ROUTE), so that responses the handler sends itself carry it too and the runtime's own answers
 * go out with one writeHead instead of a setHeader per header (issue 16: setHeader was ~2 µs a request).
 */
export class ExpressResponse<R extends http.IncomingMessage = http.IncomingMessage> extends http.ServerResponse<R> {
  /** The invocation this response answers (invocation.ts), while it is open. */
  invocation: unknown = undefined;
  /** Add Access-Control-Allow-Origin: * when the headers go out, unless the handler set it. */
  cors = false;
  /** Body bytes of an answer the runtime made (for the access log). */
  bodyLength: number | undefined = undefined;

  /** Headers of a runtime-made answer: `fields` plus the CORS header when it is due. */
  runtimeHead(statusCode: number, fields: (string | number)[]): void {
    if (this.cors) {
      this.cors = false;
      if (!this.hasHeader(CORS_HEADER)) fields.push('Access-Control-Allow-Origin', '*');
    }
    this.writeHead(statusCode, fields as string[]);
  }

  override writeHead(statusCode: number, statusMessage?: string, headers?: http.OutgoingHttpHeaders | http.OutgoingHttpHeader[]): this;
  override writeHead(statusCode: number, headers?: http.OutgoingHttpHeaders | http.OutgoingHttpHeader[]): this;
  override writeHead(statusCode: number, reasonOrHeaders?: unknown, headers?: unknown): this {
    if (this.cors) {
      this.cors = false;
      if (!this.hasHeader(CORS_HEADER)) this.setHeader('Access-Control-Allow-Origin', '*');
    }
    return (super.writeHead as (statusCode: number, reasonOrHeaders?: unknown, headers?: unknown) => this)(statusCode, reasonOrHeaders, headers);
  }
}

/** Request and response classes with the methods, getters and settings of `app`. */
export function expressClasses(app: Express): ExpressClasses {
  class ExpressRequest extends http.IncomingMessage {}
  class AppResponse<R extends http.IncomingMessage = http.IncomingMessage> extends ExpressResponse<R> {}
  // app.request is Object.create(express's request, { app }); take both levels.
  copyMembers(Object.getPrototypeOf(app.request) as object, ExpressRequest.prototype);
  copyMembers(app.request, ExpressRequest.prototype);
  copyMembers(Object.getPrototypeOf(app.response) as object, AppResponse.prototype);
  copyMembers(app.response, AppResponse.prototype);
  lazyField(ExpressRequest.prototype, 'params', () => ({}));
  lazyField(AppResponse.prototype, 'locals', () => Object.create(null) as unknown);
  return { IncomingMessage: ExpressRequest, ServerResponse: AppResponse };
}

/** Links a request and its response the way express's init middleware does. */
export function asExpress(req: http.IncomingMessage, res: http.ServerResponse): { request: Request; response: Response } {
  const request = req as unknown as Request;
  const response = res as unknown as Response;
  request.res = response;
  return { request, response };
}
