/**
 * Processes the benchmarks start: a server (Node running `command`) that prints
 * 'listening on URL' when ready, and PNG files made by hand for the hostile inputs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import zlib from 'node:zlib';

/** Starts `node <command>`; resolves with the URL it prints ('listening on URL') and the process. */
export function startServer(command: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, command, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.once('exit', (code) => reject(new Error(`${command.join(' ')} exited with ${code}`)));
  });
}

/**
 * A PNG of zero pixels written by hand, for sizes sharp will not write (40,000,000×1): colour type 0 (gray)
 * or 2 (RGB), 8 bits, one IDAT.
 */
export function zeroPng(width: number, height: number, colour: 0 | 2 = 2): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = colour;
  const rows = Buffer.alloc((1 + width * (colour === 2 ? 3 : 1)) * height);
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}
