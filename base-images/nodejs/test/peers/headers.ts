// A peer that records the headers of every request it gets (for TR-PROPAGATE).
import type http from 'node:http';
import { listenLocal } from './local';

export interface HeaderPeer {
  url: string;
  seen: { via: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

export async function startHeaderPeer(): Promise<HeaderPeer> {
  const peer: HeaderPeer = { url: '', seen: [], close: async () => {} };
  const server = await listenLocal((req, res) => {
    const via = new URL(req.url ?? '/', 'http://x').searchParams.get('via') ?? '';
    peer.seen.push({ via, headers: req.headers });
    req.resume();
    res.end('ok');
  });
  peer.url = `${server.base}/peer`;
  peer.close = server.close;
  return peer;
}
