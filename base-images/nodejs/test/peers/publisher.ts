// A small publisher-proxy sink on 127.0.0.1: records every request; answers with a chosen status,
// optionally after a delay.
import type http from 'node:http';
import { listenLocal, readAll } from './local';

export interface Published {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface PublisherSink {
  url: string;
  received: Published[];
  status: number;
  delayMs: number;
  close(): Promise<void>;
}

export async function startPublisherSink(): Promise<PublisherSink> {
  const sink: PublisherSink = { url: '', received: [], status: 204, delayMs: 0, close: async () => {} };
  const server = await listenLocal((req, res) => {
    readAll(req, (body) => {
      sink.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: body.toString('utf8') });
      const answer = (): void => {
        res.statusCode = sink.status;
        res.end();
      };
      if (sink.delayMs > 0) setTimeout(answer, sink.delayMs);
      else answer();
    });
  });
  sink.url = `${server.base}/publish`;
  sink.close = server.close;
  return sink;
}
