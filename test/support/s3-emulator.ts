/**
 * An S3 EMULATOR for tests: `@20minutes/s3rver` (a maintained fork of s3rver), an S3-compatible
 * server written in Node that keeps objects in a temp folder. It is not MinIO or AWS: it speaks
 * the S3 REST API (SigV4 and presigned-URL expiry checked, ranged GETs, multipart uploads) well
 * enough to test our adapter against real HTTP, on loopback only. The same contract suite is meant
 * to pass against MinIO (docker-compose runs MinIO).
 *
 * Run by hand (for the README's two-process check): scripts/node --import tsx test/support/s3-emulator.ts [port] [bucket]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import S3rver from '@20minutes/s3rver';

/** The emulator's fixed credentials (it accepts only these). */
export const EMULATOR_CREDENTIALS = Object.freeze({ accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' });

/** A running emulator. */
export interface S3Emulator {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** The standard AWS variables (and path style) that point the services at it. */
  env: Record<string, string>;
  /** Every request seen so far, as `METHOD /path?query` (to check which S3 calls were made), and its headers. */
  requests: { line: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** Starts the emulator on 127.0.0.1 (`port` 0 = ephemeral) with `buckets` created. */
export async function startS3Emulator(options: { buckets: string[]; port?: number }): Promise<S3Emulator> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 's3-emulator-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  await server.configureBuckets();
  verifyBucketRequestsLikeS3();
  const requests: S3Emulator['requests'] = [];
  const httpServer = http.createServer((req, res) => {
    requests.push({ line: `${req.method} ${req.url}`, headers: { ...req.headers } });
    req.headers[RAW_PATH_HEADER] = (req.url ?? '/').split('?')[0];
    server.callback()(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      RENDER_S3_FORCE_PATH_STYLE: 'true',
    },
    requests,
    async close() {
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

const RAW_PATH_HEADER = 'x-s3-emulator-raw-path';
type CanonicalRequest = { uri: string; headers: Record<string, unknown> };
let patched = false;

/**
 * s3rver rebuilds the canonical URI of a bucket-level request (ListObjectsV2, HeadBucket) as
 * `/bucket`, the way SigV2 did; S3 and the SDK's SigV4 sign the path as sent, `/bucket/`. So that
 * the emulator still verifies every signature (rather than accepting mismatches), its SigV4 check
 * is given the raw path for exactly that case. Object requests are untouched.
 */
function verifyBucketRequestsLikeS3(): void {
  if (patched) return;
  patched = true;
  // The emulator's untyped internals: the SigV4 string-to-sign builder.
  const v4 = require('@20minutes/s3rver/lib/signature/v4') as {
    getStringToSign: (canonical: CanonicalRequest, request: unknown) => string;
  };
  const original = v4.getStringToSign;
  v4.getStringToSign = (canonical, request) => {
    const raw = canonical.headers[RAW_PATH_HEADER];
    const fixed =
      typeof raw === 'string' && raw.endsWith('/') && raw.slice(0, -1) === canonical.uri ? { ...canonical, uri: raw } : canonical;
    return original(fixed, request);
  };
}

if (require.main === module) {
  const port = Number(process.argv[2] ?? 4568);
  const bucket = process.argv[3] ?? 'renders';
  startS3Emulator({ buckets: [bucket], port }).then((emu) => {
    console.log(`S3 emulator (s3rver, not a real S3) on ${emu.endpoint}, bucket "${bucket}". Point the services at it with:`);
    for (const [k, v] of Object.entries(emu.env)) console.log(`  export ${k}=${v}`);
    const stop = () => void emu.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
