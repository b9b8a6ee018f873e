/** Hostile files for tests: a decompression-bomb PNG and a playlist that pretends to be an image. */
import { deflateSync } from 'node:zlib';

function crc32(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A valid PNG that declares `side`×`side` pixels (1-bit greyscale, all zero): about 110 KB on disk
 * at 30000×30000, but 900 megapixels once decoded.
 */
export function bombPng(side = 30_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rowBytes = 1 + Math.ceil(side / 8);
  const idat = deflateSync(Buffer.alloc(rowBytes * side), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** An HLS playlist whose segment is `segmentUrl`: FFmpeg would fetch it if it ever opened this file as HLS. */
export function hlsPlaylist(segmentUrl: string): string {
  return `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.0,\n${segmentUrl}\n#EXT-X-ENDLIST\n`;
}

/** An FFmpeg concat list naming another local file. */
export function concatList(file: string): string {
  return `ffconcat version 1.0\nfile '${file}'\n`;
}

/**
 * A valid 64-channel PCM WAV (ffprobe reads it, so the asset check accepts it) with no channel
 * layout: FFmpeg cannot build a downmix to the output's stereo and fails the encode, exiting
 * non-zero ("Rematrix is needed between 64 channels and stereo…", "Conversion failed!").
 */
export function unmixableWav(seconds = 0.25): Buffer {
  const channels = 64;
  const rate = 8000;
  const data = Buffer.alloc(Math.round(seconds * rate) * channels * 2);
  const fmt = Buffer.alloc(16);
  fmt.writeUInt16LE(1, 0); // PCM
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(rate, 4);
  fmt.writeUInt32LE(rate * channels * 2, 8);
  fmt.writeUInt16LE(channels * 2, 12);
  fmt.writeUInt16LE(16, 14);
  const size = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  return Buffer.concat([
    Buffer.from('RIFF'),
    size(4 + 8 + fmt.length + 8 + data.length),
    Buffer.from('WAVEfmt '),
    size(fmt.length),
    fmt,
    Buffer.from('data'),
    size(data.length),
    data,
  ]);
}

/** Serves `body` as `type` on a loopback port for every GET; resolves with its base URL and a close function. */
export async function serveFile(body: Buffer, type: string): Promise<{ url: string; close(): Promise<void> }> {
  const http = await import('node:http');
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': type, 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
