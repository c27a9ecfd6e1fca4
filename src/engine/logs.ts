// Container logs of a non-TTY container come multiplexed: frames of an 8-byte header
// (stream type, 3 zero bytes, big-endian length) followed by that many bytes.
import type { ContainerLogs } from './types.js';

export function demuxLogs(buffer: Buffer): ContainerLogs {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer.readUInt8(offset);
    const length = buffer.readUInt32BE(offset + 4);
    if (type > 2 || buffer.readUIntBE(offset + 1, 3) !== 0) {
      // Not multiplexed (a TTY container): the whole rest is plain output.
      stdout.push(buffer.subarray(offset));
      offset = buffer.length;
      break;
    }
    const frame = buffer.subarray(offset + 8, offset + 8 + length);
    (type === 2 ? stderr : stdout).push(frame);
    offset += 8 + length;
  }
  if (offset < buffer.length) stdout.push(buffer.subarray(offset));
  return { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
}
