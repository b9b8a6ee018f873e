import { afterAll, beforeAll, test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type net from 'node:net';
import { UrlNotAllowedError } from './errors';
import { refusedAddressReason } from './url-policy';
import { OutboundClient, type ResolvedAddress } from './outbound-client';
import { type Canary, listenCanary } from '../../test/support/worker';
import { connectionsDuring } from '../../test/support/sockets';

async function refusal(promise: Promise<unknown>): Promise<UrlNotAllowedError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof UrlNotAllowedError, `expected URL_NOT_ALLOWED, got ${String(err)}`);
  return err;
}

let v4: Canary;
let v6: Canary | null;
beforeAll(async () => {
  v4 = (await listenCanary('127.0.0.1')) as Canary;
  // IPv6 loopback may be disabled on a host; the [::1] spelling is then checked against the IPv4 canary only.
  v6 = await listenCanary('::1');
});
afterAll(async () => {
  await v4.close();
  await v6?.close();
});

test('every spelling of this host is refused before connecting; the loopback canary hears nothing', { timeout: 20_000 }, async () => {
  const client = new OutboundClient({ allowPrivate: false, connectTimeoutMs: 2000 });
  const p = v4.port;
  const spellings = [
    `http://127.0.0.1:${p}/a.png`,
    `http://localhost:${p}/a.png`,
    `http://LOCALHOST.:${p}/a.png`,
    `http://[::1]:${v6?.port ?? p}/a.png`,
    `http://[::ffff:127.0.0.1]:${p}/a.png`,
    `http://[::ffff:7f00:1]:${p}/a.png`,
    `http://2130706433:${p}/a.png`,
    `http://0x7f.0.0.1:${p}/a.png`,
    `http://0177.0.0.1:${p}/a.png`,
    `http://127.1:${p}/a.png`,
    `http://0.0.0.0:${p}/a.png`,
    `http://[::]:${p}/a.png`,
    `https://127.0.0.1:${p}/a.png`,
  ];
  const { sockets } = await connectionsDuring(async () => {
    for (const url of spellings) {
      await refusal(client.send(url));
      await refusal(client.send(url, { method: 'POST', body: '{}' }));
    }
  });
  assert.equal(sockets, 0, 'no socket may be opened for a refused address');
  assert.equal(v4.hits(), 0);
  assert.equal(v6?.hits() ?? 0, 0);
  console.log(`refused ${spellings.length} spellings of this host, GET and POST, with no connection`);
  await client.close();
});

test('names resolving to private, link-local, CGNAT, reserved or multicast addresses are refused with no connection attempted', {
  timeout: 20_000,
}, async () => {
  const answers: Record<string, ResolvedAddress[]> = {
    'rfc1918-a.test': [{ address: '10.0.0.7', family: 4 }],
    'rfc1918-b.test': [{ address: '172.16.5.4', family: 4 }],
    'rfc1918-c.test': [{ address: '192.168.1.10', family: 4 }],
    'metadata.test': [{ address: '169.254.169.254', family: 4 }],
    'cgnat.test': [{ address: '100.64.0.1', family: 4 }],
    'bench.test': [{ address: '198.18.0.1', family: 4 }],
    'multicast.test': [{ address: '224.0.0.251', family: 4 }],
    'reserved.test': [{ address: '240.0.0.1', family: 4 }],
    'ula.test': [{ address: 'fd12:3456::1', family: 6 }],
    'linklocal6.test': [{ address: 'fe80::1', family: 6 }],
    'mapped.test': [{ address: '::ffff:10.0.0.1', family: 6 }],
    'nat64.test': [{ address: '64:ff9b::a9fe:a9fe', family: 6 }],
    // One good answer does not launder a bad one: the whole name is refused.
    'mixed.test': [
      { address: '93.184.216.34', family: 4 },
      { address: '10.1.2.3', family: 4 },
    ],
  };
  const asked: string[] = [];
  const client = new OutboundClient({
    allowPrivate: false,
    connectTimeoutMs: 2000,
    resolve: async (name) => {
      asked.push(name);
      const a = answers[name];
      if (!a) throw Object.assign(new Error(`unknown test name ${name}`), { code: 'ENOTFOUND' });
      return a;
    },
  });
  const literals = ['http://10.0.0.1/x', 'http://169.254.169.254/latest/meta-data/', 'http://[fd00::1]/x', 'http://[fe80::1]/x'];
  const { sockets } = await connectionsDuring(async () => {
    for (const name of Object.keys(answers)) await refusal(client.send(`http://${name}/asset.png`));
    for (const url of literals) await refusal(client.send(url));
  });
  assert.equal(sockets, 0, 'no socket may be opened: refusal happens before connecting');
  assert.deepEqual(asked.sort(), Object.keys(answers).sort(), 'each name resolved once, by our resolver');
  await client.close();
});

test('redirects are checked hop by hop, and the address checked is the address dialled (no rebinding)', { timeout: 20_000 }, async () => {
  // 127.0.0.2 stands in for "the internet" here: the test's policy allows it and nothing else extra.
  const allowed = '127.0.0.2';
  const refused = (address: string) => (address === allowed ? null : refusedAddressReason(address));
  const server = http.createServer((req, res) => {
    if (req.url === '/to-literal') return void res.writeHead(302, { location: `http://127.0.0.1:${v4.port}/x` }).end();
    if (req.url === '/to-name') return void res.writeHead(302, { location: `http://inside.test:${v4.port}/x` }).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
  await new Promise<void>((r) => server.listen(0, allowed, () => r()));
  const port = (server.address() as net.AddressInfo).port;
  let rebindCalls = 0;
  const client = new OutboundClient({
    allowPrivate: false,
    connectTimeoutMs: 2000,
    refused,
    resolve: async (name) => {
      if (name === 'outside.test') return [{ address: allowed, family: 4 }];
      if (name === 'inside.test') return [{ address: '127.0.0.1', family: 4 }];
      // A rebinding name: allowed the first time it is asked, loopback afterwards.
      if (name === 'rebind.test') return [{ address: rebindCalls++ === 0 ? allowed : '127.0.0.1', family: 4 }];
      throw Object.assign(new Error('unknown'), { code: 'ENOTFOUND' });
    },
  });
  try {
    await refusal(client.send(`http://outside.test:${port}/to-literal`, { maxRedirects: 3 }));
    await refusal(client.send(`http://outside.test:${port}/to-name`, { maxRedirects: 3 }));
    const res = await client.send(`http://rebind.test:${port}/fine`);
    assert.equal(res.status, 200);
    assert.equal(await readAll(res.body), 'ok');
    assert.equal(rebindCalls, 1, 'one lookup per connection: nothing resolves the name again between check and connect');
    assert.equal(v4.hits(), 0, 'the canary behind the redirects heard nothing');
  } finally {
    await client.close();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

async function readAll(body: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of body) out += chunk;
  return out;
}

test('control: the socket counter and a canary do see a connection that is allowed (RENDER_ALLOW_PRIVATE_URLS=true)', {
  timeout: 20_000,
}, async () => {
  const control = (await listenCanary('127.0.0.1')) as Canary;
  const client = new OutboundClient({ allowPrivate: true, connectTimeoutMs: 2000 });
  try {
    const { sockets, attempted } = await connectionsDuring(async () => {
      // The canary hangs up at once, so the request fails; what matters is that it was reached.
      await client.send(`http://127.0.0.1:${control.port}/x`).catch(() => undefined);
    });
    assert.ok(sockets >= 1, 'the counter sees sockets');
    assert.ok(attempted.includes('127.0.0.1'), `the counter sees where they connect: ${attempted.join(', ')}`);
    assert.ok(control.hits() >= 1, 'the canary sees connections');
  } finally {
    await client.close();
    await control.close();
  }
});

test('https to a checked name dials the checked address and still presents the name (SNI, certificate check)', {
  timeout: 20_000,
}, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=secure.test',
      '-addext',
      'subjectAltName=DNS:secure.test',
    ].concat(['-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')]),
    { stdio: 'ignore' },
  );
  const names: string[] = [];
  const server = https.createServer(
    {
      key: readFileSync(path.join(dir, 'key.pem')),
      cert: readFileSync(path.join(dir, 'cert.pem')),
      SNICallback: (name, cb) => {
        names.push(name);
        cb(null, undefined);
      },
    },
    (_req, res) => res.end('ok'),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const client = new OutboundClient({
    allowPrivate: true,
    connectTimeoutMs: 2000,
    resolve: async () => [{ address: '127.0.0.1', family: 4 }],
  });
  try {
    const err = await client.send(`https://secure.test:${port}/`).then(
      () => null,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    assert.deepEqual(names, ['secure.test'], 'the TLS server name is the URL host, not the dialled IP');
    // The self-signed certificate names secure.test, so the only complaint is the unknown issuer: the name matched.
    assert.equal(err?.code, 'DEPTH_ZERO_SELF_SIGNED_CERT', String(err));
  } finally {
    await client.close();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
});
