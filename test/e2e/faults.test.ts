/**
 * Faults from a real fault proxy: Toxiproxy's server (built from its Go module) between the
 * services and each thing they talk to over the network, i.e. Redis, the S3-compatible storage
 * (the s3rver emulator of the object-storage test), the real collector (built from our manifest)
 * and a webhook receiver that checks signatures. The API and one worker run through their real
 * entry points with every one of those addresses pointing at a proxy.
 *
 * For each component and each toxic, one at a time: three tiny decks (each with a webhook) are
 * submitted, the toxic is put on both directions of that component's proxy for FAULT_MS, /readyz is
 * polled meanwhile, the toxic is removed, and every job is waited for. Each case must end with every
 * job completed exactly once or failed with a category, none stuck, /readyz telling the truth
 * during the fault (503 exactly when Redis or the storage cannot be reached, 200 otherwise) and
 * every event of every job (render.started and the final one) delivered at least once. The outcome table is compared with the one committed in
 * docs/RELIABILITY.md; UPDATE_RELIABILITY=1 rewrites it instead.
 */
import { afterAll, beforeAll, describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { markdownTable } from '../../scripts/readme-tables';
import { freePortPlan, type RunningPart, startCollector, startToxiproxy } from '../../stack/launch';
import { getJob, submitJob, tinyDeck, type ApiJob } from '../support/jobs';
import { freePort, waitFor } from '../support/ports';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis';
import { startS3Emulator, type S3Emulator } from '../support/s3-emulator';
import { REPO_ROOT, startService, type RunningService } from '../support/service';
import { type Toxic, ToxiproxyClient } from '../support/toxiproxy';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const SECRET = 'faults-e2e-secret';
/** How long each toxic stays on unless its fault says: the fault being survived, not a wait for an event. */
const FAULT_MS = 4000;
/** /readyz answers after this much of the fault count (its own checks wait up to 1 s, plus a poll in flight). */
const READY_SETTLE_MS = 1500;
/** A job not final this long after the toxic is removed counts as stuck. */
const STUCK_AFTER_MS = 60_000;
const JOBS_PER_CASE = 3;

const COMPONENTS = ['redis', 'storage', 'collector', 'webhook'] as const;
type Component = (typeof COMPONENTS)[number];
const COMPONENT_NAMES: Record<Component, string> = {
  redis: 'Redis',
  storage: 'Object storage (S3)',
  collector: 'Collector (OTLP)',
  webhook: 'Webhook receiver',
};

/** The faults, each one toxic as applied (on both directions), and how the table names it. */
const FAULTS = {
  latency: { toxic: { type: 'latency', attributes: { latency: 150, jitter: 0 } }, label: 'latency: +150 ms each way' },
  bandwidth: { toxic: { type: 'bandwidth', attributes: { rate: 16 } }, label: 'bandwidth: 16 KB/s each way' },
  'black-hole': {
    toxic: { type: 'timeout', attributes: { timeout: 0 } },
    label: 'black hole (`timeout` 0): nothing passes, nothing closes',
  },
  'black-hole-close': {
    toxic: { type: 'timeout', attributes: { timeout: 1000 } },
    label: 'black hole, then closed (`timeout` 1000 ms): data dropped',
  },
  // Longer than BullMQ's job lock (10 s): the worker cannot renew it, so the job counts as stalled once Redis answers again.
  'long-black-hole': {
    toxic: { type: 'timeout', attributes: { timeout: 0 } },
    label: 'black hole for 12 s (`timeout` 0), longer than the job lock',
    ms: 12_000,
  },
  reset: { toxic: { type: 'reset_peer', attributes: { timeout: 0 } }, label: 'connection reset (`reset_peer` 0)' },
  'slow-close': { toxic: { type: 'slow_close', attributes: { delay: 2000 } }, label: 'slow close (`slow_close` 2000 ms)' },
} satisfies Record<string, { toxic: Toxic; label: string; ms?: number }>;
type Fault = keyof typeof FAULTS;
const FAULT_ORDER = Object.keys(FAULTS) as Fault[];

/** The truth /readyz must tell: not ready exactly while the queue backend or the video storage cannot be reached. */
const UNREACHABLE: readonly Fault[] = ['black-hole', 'black-hole-close', 'long-black-hole', 'reset'];
const expectedReady = (c: Component, f: Fault): number => ((c === 'redis' || c === 'storage') && UNREACHABLE.includes(f) ? 503 : 200);

/** One row of the outcome table: deterministic counts and categories only, no timings. */
interface Outcome {
  component: Component;
  fault: Fault;
  jobs: number;
  completed: number;
  /** Failed jobs by error category. */
  failed: Record<string, number>;
  stuck: number;
  completedTwice: number;
  /** Every /readyz status seen after READY_SETTLE_MS of the fault ('no answer' when it did not answer in 3 s). */
  readyDuring: string[];
  /** Every /healthz status seen during the fault (not in the table: always 200 or the case fails). */
  liveDuring: string[];
  /** Finished jobs whose every event (render.started and the final one) was delivered, of the finished jobs. */
  webhooksDelivered: number;
  finished: number;
  /** Jobs running while the fault was on (not in the table: it depends on timing; asserted to be at least one). */
  inFlight: number;
}

const failedText = (f: Record<string, number>) => {
  const entries = Object.entries(f).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '0' : entries.map(([cat, n]) => `${n} (${cat})`).join(', ');
};
const verdict = (o: Outcome) =>
  [o.stuck === 0 ? 'none stuck' : `${o.stuck} STUCK`, o.completedTwice === 0 ? 'none duplicated' : `${o.completedTwice} DUPLICATED`].join(
    ', ',
  );

/** The Markdown table docs/RELIABILITY.md holds between its markers, padded as Biome formats Markdown tables. */
function renderTable(rows: Outcome[]): string {
  return markdownTable(
    [
      'Component',
      'Fault',
      'Jobs',
      'Completed',
      'Failed (category)',
      'Stuck',
      'Completed twice',
      '`/readyz` during the fault',
      'Jobs with every webhook delivered',
      'Verdict',
    ],
    rows.map((o) => [
      COMPONENT_NAMES[o.component],
      FAULTS[o.fault].label,
      String(o.jobs),
      String(o.completed),
      failedText(o.failed),
      String(o.stuck),
      String(o.completedTwice),
      o.readyDuring.join(', '),
      `${o.webhooksDelivered}/${o.finished}`,
      verdict(o),
    ]),
  );
}

const DOC = path.join(REPO_ROOT, 'docs', 'RELIABILITY.md');
const START_MARK = '<!-- fault-table:start -->';
const END_MARK = '<!-- fault-table:end -->';

/** `render_jobs_total{status="completed"}` of the worker's `/metrics`. */
async function completedCount(worker: RunningService): Promise<number> {
  const metrics = await (await fetch(`${worker.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  return Number(/^render_jobs_total\{status="completed"[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0);
}

const readyStatus = (api: RunningService) => probe(`${api.url}/readyz`);

/** The status of GET `url` within 3 s, or 'no answer'. */
async function probe(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return String(res.status);
  } catch {
    return 'no answer';
  }
}

const FINAL = ['completed', 'failed', 'cancelled'];

describe('faults from Toxiproxy between the services and Redis, the storage, the collector and a webhook receiver', {
  timeout: 900_000,
}, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-faults-'));
  let redis: PrivateRedis | undefined;
  let s3: S3Emulator | undefined;
  let collector: RunningPart | undefined;
  let toxiproxy: RunningPart | undefined;
  let hook: WebhookReceiver | undefined;
  let api: RunningService | undefined;
  let worker: RunningService | undefined;
  let proxy: ToxiproxyClient;
  let hookUrl = '';
  const rows: Outcome[] = [];

  beforeAll(async () => {
    const plan = await freePortPlan();
    redis = await startPrivateRedis();
    s3 = await startS3Emulator({ buckets: ['renders'] });
    collector = await startCollector({ dir: path.join(dir, 'collector'), ports: plan });
    hook = await startWebhookReceiver(SECRET, { keepAliveTimeoutMs: 1000 });
    toxiproxy = await startToxiproxy({ dir: path.join(dir, 'toxiproxy'), ports: plan });
    proxy = new ToxiproxyClient(toxiproxy.urls.http!);
    const upstreams: Record<Component, string> = {
      redis: `127.0.0.1:${redis.port}`,
      storage: s3.endpoint.replace('http://', ''),
      collector: collector.urls.otlpHttp!.replace('http://', ''),
      webhook: `127.0.0.1:${hook.port}`,
    };
    const listen: Partial<Record<Component, number>> = {};
    for (const c of COMPONENTS) {
      listen[c] = await freePort();
      await proxy.createProxy(c, `127.0.0.1:${listen[c]}`, upstreams[c]);
    }
    hookUrl = `http://127.0.0.1:${listen.webhook}/hook`;
    const env = {
      REDIS_URL: `redis://127.0.0.1:${listen.redis}`,
      RENDER_QUEUE_NAME: 'faults',
      RENDER_STORAGE_URL: 's3://renders/outputs',
      ...s3.env,
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${listen.storage}`,
      WEBHOOK_SECRET: SECRET,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_LOGS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${listen.collector}`,
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BLRP_SCHEDULE_DELAY: '200',
      // Short enough that a fault's retries end within a case; enough attempts to outlast a FAULT_MS fault.
      RENDER_BACKOFF_MS: '300',
      RENDER_MAX_ATTEMPTS: '5',
      RENDER_HEARTBEAT_MS: '1000',
      RENDER_STORE_TIMEOUT_MS: '8000',
      RENDER_FETCH_TIMEOUT_MS: '5000',
      // One job at a time: the mix's three jobs run one after another, so their ends (the upload, the
      // completion write, the final webhook) fall inside and after the fault rather than all before it.
      RENDER_CONCURRENCY: '1',
    };
    api = await startService({ entry: 'services/api/main.ts', telemetry: true, env, readyTimeoutMs: 90_000 });
    worker = await startService({ entry: 'services/worker/main.ts', telemetry: true, env, readyTimeoutMs: 90_000 });
  });

  afterAll(async () => {
    await Promise.all([worker?.stop(), api?.stop()]);
    for (const s of [worker, api]) s?.cleanup();
    await toxiproxy?.stop();
    await collector?.stop();
    await hook?.close();
    await s3?.close();
    await redis?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs one case and returns its row (also when jobs get stuck: that is an outcome, asserted afterwards). */
  async function runCase(component: Component, fault: Fault): Promise<Outcome> {
    const jobs: ApiJob[] = [];
    for (let i = 0; i < JOBS_PER_CASE; i++) {
      jobs.push(await submitJob(api!.url, tinyDeck(`${component} ${fault} ${i}`, 1, 1, { webhookUrl: hookUrl })));
    }
    const before = Date.now();
    const names = [`${fault}-up`, `${fault}-down`];
    await proxy.addToxic(component, names[0]!, FAULTS[fault].toxic, 'upstream');
    await proxy.addToxic(component, names[1]!, FAULTS[fault].toxic, 'downstream');
    const readyDuring = new Set<string>();
    const liveDuring = new Set<string>();
    try {
      const faultMs = (FAULTS[fault] as { ms?: number }).ms ?? FAULT_MS;
      while (Date.now() - before < faultMs) {
        const at = Date.now() - before;
        const [status, live] = await Promise.all([readyStatus(api!), probe(`${api!.url}/healthz`)]);
        if (at >= READY_SETTLE_MS && Date.now() - before <= faultMs) readyDuring.add(status);
        liveDuring.add(live);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      for (const n of names) await proxy.removeToxic(component, n);
    }
    const removedAt = Date.now();
    const final = new Map<string, ApiJob>();
    await waitFor(
      `the ${component} ${fault} jobs to end`,
      async () => {
        for (const j of jobs) {
          if (final.has(j.id)) continue;
          const got = await getJob(api!.url, j.id);
          if (FINAL.includes(got.status)) final.set(j.id, got);
        }
        return final.size === jobs.length;
      },
      STUCK_AFTER_MS,
      250,
    ).catch(() => undefined);
    const finished = [...final.values()];
    const events = (j: ApiJob) => ['render.started', `render.${j.status}`];
    const deliveredFor = (j: ApiJob) => events(j).every((e) => hook!.seen.some((s) => s.jobId === j.id && s.event === e && s.signed));
    // A delivery cut by the fault is retried after the delivery timeout (10 s) and the outbox's backoff.
    await waitFor(`the webhooks of the ${component} ${fault} jobs`, () => finished.every(deliveredFor), 60_000, 250).catch(() => undefined);
    // Readiness comes back with the dependency.
    await waitFor('/readyz 200 after the fault', async () => (await readyStatus(api!)) === '200', 30_000, 250);
    const completed = finished.filter((j) => j.status === 'completed');
    const failed: Record<string, number> = {};
    for (const j of finished.filter((x) => x.status !== 'completed')) {
      const key = j.status === 'failed' ? (j.error?.category ?? 'no category') : j.status;
      failed[key] = (failed[key] ?? 0) + 1;
    }
    const completionEvents = (id: string) =>
      new Set(hook!.seen.filter((s) => s.jobId === id && s.event === 'render.completed').map((s) => s.eventId)).size;
    // The fault met work in flight: a job ended after it began, and its last attempt started before
    // it ended or an earlier attempt (submitted just before the fault, so run during it) was given up.
    const inFlight = finished.filter(
      (j) => j.finishedAt && Date.parse(String(j.finishedAt)) >= before && (Date.parse(String(j.startedAt)) <= removedAt || j.attempts > 1),
    ).length;
    const outcome: Outcome = {
      component,
      fault,
      jobs: jobs.length,
      completed: completed.length,
      failed,
      stuck: jobs.length - finished.length,
      completedTwice: jobs.filter((j) => completionEvents(j.id) > 1).length,
      readyDuring: [...readyDuring].sort(),
      liveDuring: [...liveDuring].sort(),
      webhooksDelivered: finished.filter(deliveredFor).length,
      finished: finished.length,
      inFlight,
    };
    process.stderr.write(
      `faults: ${component} ${fault}: ${JSON.stringify(outcome)}, attempts ${finished.map((j) => j.attempts).join(',')} (settled ${Date.now() - removedAt} ms after the toxic was removed)\n`,
    );
    return outcome;
  }

  let metricBase = 0;
  for (const component of COMPONENTS) {
    for (const fault of FAULT_ORDER) {
      test(`${component} × ${fault}: every job completed once or failed with a category, none stuck, /readyz truthful, webhooks delivered`, {
        timeout: 180_000,
      }, async () => {
        if (rows.length === 0) metricBase = await completedCount(worker!);
        const o = await runCase(component, fault);
        rows.push(o);
        // The worker's own count of completions agrees with the jobs' records: nothing completed twice unseen.
        const counted = await completedCount(worker!);
        const completedSoFar = rows.reduce((n, r) => n + r.completed, 0);
        assert.equal(counted - metricBase, completedSoFar, 'render_jobs_total{status="completed"} counts each completion once');
        assert.ok(o.inFlight >= 1, `the fault met jobs in flight: ${JSON.stringify(o)}`);
        assert.equal(o.stuck, 0, `stuck jobs: ${JSON.stringify(o)}`);
        assert.equal(o.completedTwice, 0, `jobs completed twice: ${JSON.stringify(o)}`);
        for (const cat of Object.keys(o.failed)) assert.notEqual(cat, 'no category', 'a failed job says why');
        assert.deepEqual(o.readyDuring, [String(expectedReady(component, fault))], '/readyz tells the truth during the fault');
        assert.deepEqual(o.liveDuring, ['200'], 'the API stays alive (/healthz) through the fault');
        assert.equal(o.webhooksDelivered, o.finished, 'every webhook delivered at least once');
        assert.equal(worker!.child.exitCode, null, 'the worker rides out the fault');
        assert.equal(api!.child.exitCode, null, 'the API rides out the fault');
      });
    }
  }

  test('the outcome table matches the one in docs/RELIABILITY.md (UPDATE_RELIABILITY=1 rewrites it)', () => {
    assert.equal(rows.length, COMPONENTS.length * FAULT_ORDER.length, 'every case ran');
    const table = renderTable(rows);
    const doc = readFileSync(DOC, 'utf8');
    const from = doc.indexOf(START_MARK);
    const to = doc.indexOf(END_MARK);
    assert.ok(from !== -1 && to > from, `${DOC} has the table markers`);
    const committed = doc.slice(from + START_MARK.length, to).trim();
    if (process.env.UPDATE_RELIABILITY === '1') {
      writeFileSync(DOC, `${doc.slice(0, from + START_MARK.length)}\n${table}\n${doc.slice(to)}`);
    } else {
      assert.equal(committed, table, 'the committed fault table differs from this run (UPDATE_RELIABILITY=1 rewrites it after review)');
    }
    for (const o of rows) assert.equal(verdict(o), 'none stuck, none duplicated', `${o.component} × ${o.fault}`);
  });
});
