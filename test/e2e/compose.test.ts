import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'vitest';
import YAML from 'yaml';
import { loadConfig } from '../../services/shared/config';
import { expandVariables } from '../../stack/config-env';
import { REPO_ROOT } from '../support/service';

const composeFile = path.join(REPO_ROOT, 'docker-compose.yml');
const compose = YAML.parse(readFileSync(composeFile, 'utf8'), { merge: true });
const services = compose.services as Record<string, any>;

/** Runs Debian's docker-compose 1.29 with only the given variables (no developer .env). */
function composeConfig(env: Record<string, string>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-compose-'));
  const envFile = path.join(dir, 'empty.env');
  writeFileSync(envFile, '');
  try {
    return spawnSync('docker-compose', ['--env-file', envFile, '-f', composeFile, 'config', '-q'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('docker-compose config -q accepts the file on a clean clone (no .env) and with the documented variables', { timeout: 60_000 }, () => {
  const bare = composeConfig({});
  assert.equal(bare.error, undefined, `docker-compose could not run: ${bare.error}`);
  assert.equal(bare.status, 0, bare.stderr);
  const withEnv = composeConfig({
    GRAFANA_ADMIN_PASSWORD: 'test-only',
    SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/slack',
    METRICS_TOKEN_FILE: './prometheus/secrets/metrics-token.empty',
  });
  assert.equal(withEnv.status, 0, withEnv.stderr);
});

test('every image is pinned to a version', { timeout: 10_000 }, () => {
  for (const [name, s] of Object.entries(services)) {
    if (s.build) continue;
    const m = /^[^:@]+(?::([^@]+))?(@sha256:[a-f0-9]{64})?$/.exec(String(s.image));
    assert.ok(m, `${name}: bad image ${s.image}`);
    const tag = m[1] ?? '';
    assert.ok(m[2] || (/\d/.test(tag) && !/latest/.test(tag)), `${name}: image ${s.image} is not pinned`);
  }
  const from = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8').match(/^FROM\s+(\S+)/gm) ?? [];
  assert.ok(from.length >= 2, 'the Dockerfile is multi-stage');
  // Node 24 LTS or newer, pinned to a release.
  for (const f of from) {
    const major = /node:(\d+)\.\d+\.\d+-\w+-slim/.exec(f);
    assert.ok(major && Number(major[1]) >= 24, `${f}: a pinned node:>=24 slim image`);
  }
});

test('every bind-mounted path exists in the repository', { timeout: 10_000 }, () => {
  let mounts = 0;
  for (const [name, s] of Object.entries(services)) {
    for (const v of (s.volumes ?? []) as string[]) {
      const source = v.split(':')[0];
      if (!source.startsWith('.')) continue;
      mounts++;
      assert.ok(existsSync(path.join(REPO_ROOT, source)), `${name}: ${source} does not exist`);
    }
  }
  assert.ok(mounts >= 8);
});

test('state lives in named volumes, memory is limited, start order waits on health', { timeout: 10_000 }, () => {
  const named = new Set(Object.keys(compose.volumes ?? {}));
  const volumeAt = (svc: string, target: string) =>
    (services[svc].volumes as string[]).some((v) => named.has(v.split(':')[0]) && v.split(':')[1] === target);
  assert.ok(volumeAt('redis', '/data'));
  assert.ok(volumeAt('prometheus', '/prometheus'));
  assert.ok(volumeAt('tempo', '/var/tempo'));
  assert.ok(volumeAt('alertmanager', '/alertmanager'));
  assert.ok(volumeAt('grafana', '/var/lib/grafana'));
  assert.ok(services.redis.command.includes('--appendonly') && services.redis.command.includes('yes'));
  for (const [name, s] of Object.entries(services)) {
    if (name !== 'tempo-init') assert.ok(s.mem_limit, `${name}: no memory limit`);
    for (const [dep, cond] of Object.entries((s.depends_on ?? {}) as Record<string, { condition: string }>)) {
      assert.ok(services[dep], `${name} depends on unknown ${dep}`);
      if (cond.condition === 'service_healthy')
        assert.ok(services[dep].healthcheck, `${name} waits for ${dep} health, which has no healthcheck`);
    }
  }
  // Tempo 2.x has none: its distroless image holds nothing that could probe /ready.
  for (const name of ['api', 'worker-1', 'worker-2', 'redis', 'prometheus', 'alertmanager', 'grafana']) {
    assert.ok(services[name]?.healthcheck, `${name}: no healthcheck`);
  }
  assert.equal(services.api.depends_on.redis.condition, 'service_healthy');
  assert.equal(services.grafana.depends_on.prometheus.condition, 'service_healthy');
});

/**
 * What each pinned image can run, from its Dockerfile: prom/* are busybox-based (sh, wget), Grafana's
 * default image is Alpine (busybox wget), Tempo's and our collector's are distroless (only their own
 * binary: no shell, no chown, no wget).
 */
const IMAGE_TOOLS: Record<string, string[]> = {
  'render-o11y': ['node'],
  'minio/minio': ['mc', 'minio'],
  'minio/mc': ['/bin/sh', 'mc'],
  redis: ['redis-cli', 'redis-server'],
  'render-o11y-otelcol': ['/otelcol'],
  'grafana/tempo': ['/tempo'],
  'prom/prometheus': ['/bin/sh', 'wget', '/bin/prometheus'],
  'prom/alertmanager': ['/bin/sh', 'wget', '/bin/alertmanager'],
  'grafana/grafana': ['wget'],
};

test('every healthcheck and entrypoint runs a tool its pinned image has', { timeout: 10_000 }, () => {
  for (const [name, s] of Object.entries(services)) {
    const repo = String(s.image).split(':')[0];
    const tools = IMAGE_TOOLS[repo];
    assert.ok(tools, `${name}: what ${s.image} can run is not known here`);
    const check = s.healthcheck?.test as string[] | undefined;
    if (check) {
      assert.equal(check[0], 'CMD', `${name}: a CMD-SHELL healthcheck needs a shell`);
      assert.ok(tools.includes(check[1]), `${name}: healthcheck runs ${check[1]}, which ${s.image} lacks`);
    }
    const entry = s.entrypoint as string[] | undefined;
    if (entry) assert.ok(tools.includes(entry[0]), `${name}: entrypoint ${entry[0]} is not in ${s.image}`);
  }
  assert.equal(services['tempo-init'], undefined, 'the Tempo image has no chown: a fresh named volume takes the image folder owner');
});

test('render services get the collector, Redis and the environment; roles run the compiled entry points on node', {
  timeout: 10_000,
}, () => {
  for (const name of ['api', 'worker-1', 'worker-2']) {
    const env = services[name].environment;
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://otel-collector:4318');
    assert.equal(env.REDIS_URL, 'redis://redis:6379');
    // A stable service.instance.id per process slot, equal to the instance Prometheus scrapes.
    const port = name === 'api' ? env.PORT : env.METRICS_PORT;
    assert.equal(env.OTEL_RESOURCE_ATTRIBUTES, `deployment.environment.name=compose,service.instance.id=${name}:${port}`);
    assert.equal(services[name].hostname, name);
    assert.ok(Number(env.RENDER_MEMORY_LIMIT_BYTES) > 0 && Number(env.RENDER_MEMORY_LIMIT_BYTES) <= parseBytes(services[name].mem_limit));
  }
  // The image's entrypoint is node with the instrumentation loaded first; compose picks the role.
  assert.deepEqual(services.api.command, ['dist/services/api/main.js']);
  assert.deepEqual(services['worker-1'].command, ['dist/services/worker/main.js']);
  const prom = services.prometheus.command.join(' ');
  assert.match(prom, /--enable-feature=exemplar-storage/);
  assert.match(prom, /--web\.enable-otlp-receiver/);
  assert.match(services.prometheus.image, /^prom\/prometheus:v3\./);
});

/** `512m`, `1g` → bytes. */
function parseBytes(v: string): number {
  const m = /^(\d+)([kmg]?)$/i.exec(String(v));
  assert.ok(m, `bad size ${v}`);
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
}

test('stack hygiene: 30-day SLO retention, external URLs, CPU limits, rotated logs, Redis bounded with AOF', { timeout: 10_000 }, () => {
  const prom = services.prometheus.command as string[];
  const retention = prom.find((a) => a.startsWith('--storage.tsdb.retention.time='))?.split('=')[1] ?? '';
  assert.match(retention, /^\d+d$/);
  assert.ok(Number.parseInt(retention, 10) >= 35, `retention ${retention} must hold the 30-day SLO window plus margin`);
  assert.ok(prom.some((a) => a.startsWith('--web.external-url=')));
  assert.match(services.alertmanager.entrypoint.join(' '), /--web\.external-url=/);
  for (const [name, s] of Object.entries(services)) {
    assert.ok(Number(s.cpus) > 0, `${name}: no cpus limit`);
    assert.equal(s.logging?.driver, 'json-file', `${name}: logs not rotated`);
    assert.ok(s.logging?.options?.['max-size'] && s.logging?.options?.['max-file'], `${name}: logs not rotated`);
  }
  const redis = services.redis.command as string[];
  const maxmemory = redis[redis.indexOf('--maxmemory') + 1];
  assert.ok(
    parseBytes(maxmemory.replace(/b$/, '')) < parseBytes(services.redis.mem_limit),
    'Redis maxmemory must stay under its container limit',
  );
  assert.equal(redis[redis.indexOf('--appendonly') + 1], 'yes');
  assert.equal(redis[redis.indexOf('--maxmemory-policy') + 1], 'noeviction');
});

test('Tempo runs local-blocks (TraceQL metrics) and is scraped; its own span metrics stay off', { timeout: 10_000 }, () => {
  const tempo = YAML.parse(expandVariables(readFileSync(path.join(REPO_ROOT, 'tempo', 'tempo.yaml'), 'utf8')));
  assert.deepEqual(tempo.overrides.defaults.metrics_generator.processors, ['local-blocks']);
  const scrape = YAML.parse(readFileSync(path.join(REPO_ROOT, 'prometheus', 'prometheus.yml'), 'utf8'));
  assert.ok(
    scrape.scrape_configs.some(
      (j: { job_name: string; static_configs: { targets: string[] }[] }) =>
        j.job_name === 'tempo' && j.static_configs[0].targets.includes('tempo:3200'),
    ),
  );
  assert.ok(scrape.storage.tsdb.out_of_order_time_window);
});

test('secrets come from .env: every variable compose reads is documented in .env.example, .env is not committed', {
  timeout: 10_000,
}, () => {
  const text = readFileSync(composeFile, 'utf8');
  const used = new Set([...text.matchAll(/(?<!\$)\$\{([A-Z_]+)/g)].map((m) => m[1]));
  const documented = readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8');
  for (const v of used) assert.match(documented, new RegExp(`^${v}=`, 'm'), `${v} is not in .env.example`);
  assert.ok(used.has('GRAFANA_ADMIN_PASSWORD') && used.has('SLACK_WEBHOOK_URL'));
  const tracked = spawnSync('git', ['ls-files', '--error-unmatch', '.env'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.notEqual(tracked.status, 0, '.env must never be committed');
  assert.match(readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8'), /^\.env$/m);
});

test('the Dockerfile runs as non-root with the render toolchain and a healthcheck', { timeout: 10_000 }, () => {
  const d = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
  assert.match(d, /npm ci/);
  // Production runs compiled JavaScript on node itself: no npm or tsx between the signal and the process.
  assert.match(d, /^ENTRYPOINT \[.*"node", "--import", "\.\/dist\/instrumentation\/register\.js"\]$/m);
  assert.match(d, /^CMD \["dist\/services\/main\.js"\]$/m);
  assert.doesNotMatch(d.split(/^FROM .* AS runtime$/m)[1] ?? '', /\b(npm (start|run)|tsx)\b/);
  for (const pkg of ['ffmpeg', 'espeak-ng', 'fonts-dejavu-core']) assert.ok(d.includes(pkg), pkg);
  const users = [...d.matchAll(/^USER\s+(\S+)/gm)].map((m) => m[1]);
  assert.ok(users.length > 0 && !['root', '0'].includes(users.at(-1)!), 'the last USER must not be root');
  assert.match(d, /^HEALTHCHECK /m);
});

test('Tempo keeps traces on local storage with a stated retention', { timeout: 10_000 }, () => {
  const tempo = YAML.parse(expandVariables(readFileSync(path.join(REPO_ROOT, 'tempo', 'tempo.yaml'), 'utf8')));
  assert.equal(tempo.storage.trace.backend, 'local');
  assert.match(tempo.compactor.compaction.block_retention, /^\d+h$/);
  assert.equal(tempo.distributor.receivers.otlp.protocols.grpc.endpoint, '0.0.0.0:4317');
});

test("Alertmanager's entrypoint writes every secret file alertmanager.yml reads", { timeout: 10_000 }, () => {
  const am = readFileSync(path.join(REPO_ROOT, 'prometheus', 'alertmanager.yml'), 'utf8');
  const files = [...am.matchAll(/_file:\s*(\S+)/g)].map((m) => m[1]);
  assert.ok(files.length > 0, 'expected secrets read from files');
  const entrypoint = services.alertmanager.entrypoint.join(' ');
  for (const f of files) assert.ok(entrypoint.includes(`> ${f}`), `${f} is never written`);
  assert.ok(
    (services.alertmanager.tmpfs as string[]).some((t) => files.every((f) => f.startsWith(`${t}/`))),
    'secrets must live on the tmpfs',
  );
});

/** `docker-compose config` with interpolation done (defaults applied, no .env), parsed. */
function resolvedCompose(): { services: Record<string, any>; volumes: Record<string, unknown> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-compose-'));
  const envFile = path.join(dir, 'empty.env');
  writeFileSync(envFile, '');
  try {
    const out = spawnSync('docker-compose', ['--env-file', envFile, '-f', composeFile, 'config'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir() },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(out.status, 0, out.stderr);
    return YAML.parse(out.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('videos go to MinIO: pinned, healthchecked, bucket and a bucket-only account created at start', { timeout: 60_000 }, () => {
  assert.match(services.minio.image, /^minio\/minio:RELEASE\.\d{4}-\d{2}-\d{2}T/);
  assert.match(services['minio-init'].image, /^minio\/mc:RELEASE\.\d{4}-\d{2}-\d{2}T/);
  assert.ok(services.minio.healthcheck, 'minio has a healthcheck');
  assert.equal(services['minio-init'].depends_on.minio.condition, 'service_healthy');
  assert.ok((services.minio.volumes as string[]).some((v) => v.split(':')[1] === '/data' && v.split(':')[0] === 'minio-data'));
  const resolved = resolvedCompose();
  const init = (resolved.services['minio-init'].entrypoint as string[]).join(' ');
  for (const name of ['api', 'worker-1', 'worker-2']) {
    const s = resolved.services[name];
    const env = s.environment as Record<string, string>;
    // What the services read, parsed by the service's own config loader.
    const config = loadConfig(env);
    assert.equal(config.storage.kind, 's3', name);
    if (config.storage.kind !== 's3') continue;
    assert.equal(config.storage.endpoint, 'http://minio:9000');
    assert.equal(config.storage.forcePathStyle, true);
    assert.equal(config.storage.publicEndpoint, 'http://localhost:9000', 'signed for the address a browser uses');
    // docker-compose 1.29 prints ports as strings, newer ones as objects.
    const published = (resolved.services.minio.ports as (string | { published: number | string; target: number })[]).map((p) =>
      typeof p === 'string' ? p : `${p.published}:${p.target}`,
    );
    assert.ok(
      published.some((p) => /(^|:)9000:9000(\/tcp)?$/.test(p)),
      `the public endpoint is published: ${published}`,
    );
    assert.ok(init.includes(`mc mb --ignore-existing local/${config.storage.bucket}`), 'the bucket the services use is created');
    assert.equal(s.depends_on['minio-init'].condition, 'service_completed_successfully', `${name} waits for the bucket`);
    // The services use the bucket-only account, never MinIO's root.
    assert.equal(env.AWS_ACCESS_KEY_ID, resolved.services['minio-init'].environment.MINIO_APP_ACCESS_KEY);
    assert.notEqual(env.AWS_ACCESS_KEY_ID, resolved.services.minio.environment.MINIO_ROOT_USER);
  }
  // The account's policy allows what the S3 adapter does (multipart uploads need PutObject and Abort).
  for (const action of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListBucket'])
    assert.ok(init.includes(`"${action}"`), action);
});

test('the API and each worker have their own data volume: no shared render-data', { timeout: 10_000 }, () => {
  const named = new Set(Object.keys(compose.volumes ?? {}));
  assert.equal(named.has('render-data'), false);
  const owners = new Map<string, string>();
  for (const name of ['api', 'worker-1', 'worker-2']) {
    const data = (services[name].volumes as string[]).filter((v) => v.split(':')[1] === '/app/data');
    assert.equal(data.length, 1, `${name} has one /app/data volume`);
    const volume = data[0].split(':')[0];
    assert.ok(named.has(volume), `${name}: ${volume} is a named volume`);
    assert.equal(owners.get(volume), undefined, `${volume} is shared by ${owners.get(volume)} and ${name}`);
    owners.set(volume, name);
  }
});
