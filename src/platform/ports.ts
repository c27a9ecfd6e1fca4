// A port on 127.0.0.1 that nothing listens on right now, and that this process has not handed out
// before: containers bind their port only after they start, so two launches close together could
// otherwise both be given the same free port (with host networking, one container would then answer
// for the other).
import { createServer } from 'node:net';

const handedOut = new Set<number>();
/** Enough for every container of many runs in one process; the oldest are forgotten first. */
const REMEMBERED = 4096;

function kernelFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

export async function freeLoopbackPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await kernelFreePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (handedOut.size > REMEMBERED) handedOut.delete(handedOut.values().next().value as number);
    return port;
  }
  throw new Error('no free port on 127.0.0.1 that was not handed out already');
}
