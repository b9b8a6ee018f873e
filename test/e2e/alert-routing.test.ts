/**
 * One page per incident, on a real Alertmanager with the committed routes, inhibition and
 * templates: alerts are posted to its API as Prometheus would, and its own view of each alert
 * (inhibited or not) and what it delivers to a local Slack-compatible receiver are checked. The
 * Grafana URL of the links comes from a template written from configuration, as docker-compose does
 * from GRAFANA_URL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { grafanaUrlTemplate, loopbackAlertmanagerConfig } from '../../prometheus/alertmanager-config';
import { runbookUrl } from '../../prometheus/runbooks';
import { startAlertmanager, startWebhookReceiver, type RunningAlertmanager, type WebhookReceiver } from '../support/alertmanager';
import { waitFor } from '../support/ports';

const GRAFANA = 'https://grafana.render.example.test:8443';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

let receiver: WebhookReceiver | undefined;
let am: RunningAlertmanager | undefined;
let dir = '';

interface PostedAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
}

const alert = (alertname: string, labels: Record<string, string>, annotations: Record<string, string> = {}): PostedAlert => ({
  labels: { alertname, ...labels },
  annotations: {
    summary: `${alertname} summary`,
    description: `${alertname} description`,
    runbook_url: runbookUrl(alertname),
    ...annotations,
  },
  startsAt: new Date(Date.now() - 60_000).toISOString(),
});

async function post(alerts: PostedAlert[]): Promise<void> {
  const res = await fetch(`${am!.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
  });
  assert.equal(res.status, 200, await res.text());
}

/** Alertmanager's state of every alert it holds, by alertname (and severity when given). */
async function states(): Promise<{ labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }[]> {
  const res = await fetch(`${am!.url}/api/v2/alerts`);
  return (await res.json()) as never;
}

const stateOf = async (alertname: string) => (await states()).find((a) => a.labels.alertname === alertname)?.status;

/**
 * Posts the inhibiting alerts, waits until Alertmanager holds them, then posts the ones they
 * inhibit. Alertmanager applies inhibition when a group is flushed, and its inhibitor learns of a
 * source alert asynchronously: posted in one batch with a 1 s group_wait on a loaded machine, a
 * target's group can flush first. In production the 30 s group_wait hides that; here the order is
 * made explicit so the test checks the inhibit rules, not a race.
 */
async function postSourcesThenTargets(sources: PostedAlert[], targets: PostedAlert[]): Promise<void> {
  await post(sources);
  await waitFor(
    'Alertmanager to hold the inhibiting alerts',
    async () => {
      const held = await states();
      return sources.every((src) => held.some((a) => Object.entries(src.labels).every(([k, v]) => a.labels[k] === v)));
    },
    10_000,
    50,
  );
  await post(targets);
}

const slackAbout = (alertname: string) =>
  (receiver?.posts ?? []).filter((p) => p.path === '/slack' && p.body?.attachments?.some((a: any) => String(a.title).includes(alertname)));

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-am-routing-'));
  const grafanaTemplate = path.join(dir, 'grafana-url.tmpl');
  writeFileSync(grafanaTemplate, grafanaUrlTemplate(GRAFANA));
  receiver = await startWebhookReceiver();
  am = await startAlertmanager(
    loopbackAlertmanagerConfig({
      slack: { url: `${receiver.url}/slack` },
      templateFiles: [grafanaTemplate],
      groupWait: '1s',
      groupInterval: '1s',
    }),
  );
});

afterAll(async () => {
  await am?.stop();
  await receiver?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('inhibition across alert names', { timeout: 60_000 }, () => {
  test('a dead worker pages once: backlog, stall and hung job are held back', async () => {
    await postSourcesThenTargets(
      [alert('RenderWorkerDown', { severity: 'critical', reason: 'no_heartbeat' }, { trace_id: TRACE_ID })],
      [
        alert('RenderQueueBacklog', { severity: 'critical', state: 'waiting' }),
        alert('RenderQueueStalled', { severity: 'critical', state: 'waiting' }),
        alert('RenderJobHung', { severity: 'warning', job: 'render-worker', instance: 'worker-1:9464' }),
      ],
    );
    await waitFor('the worker-down page in Slack', () => slackAbout('RenderWorkerDown').length > 0, 30_000, 100);
    for (const name of ['RenderQueueBacklog', 'RenderQueueStalled', 'RenderJobHung']) {
      await waitFor(`${name} inhibited`, async () => (await stateOf(name))?.state === 'suppressed', 10_000, 100);
      assert.ok(((await stateOf(name))?.inhibitedBy ?? []).length > 0, `${name} not inhibited`);
    }
    assert.equal((await stateOf('RenderWorkerDown'))?.state, 'active');

    // The page's links: runbook, the dashboard over the alert's time range on the configured
    // Grafana, a silence pre-filled with the alert's labels, and the trace it names.
    const attachment = slackAbout('RenderWorkerDown')[0].body.attachments[0];
    assert.ok(attachment.title_link.startsWith(`${GRAFANA}/d/render-overview/render-overview?from=`), attachment.title_link);
    const from = Number(new URL(attachment.title_link).searchParams.get('from'));
    assert.ok(from > Date.now() - 3 * 3600_000 && from < Date.now() - 3600_000, `from=${from} is not about an hour before the alert`);
    assert.equal(new URL(attachment.title_link).searchParams.get('to'), 'now');
    assert.ok(attachment.text.includes(`<${runbookUrl('RenderWorkerDown')}|RenderWorkerDown runbook>`), attachment.text);
    const silence = /\*Silence:\* <([^|>]+)\|/.exec(attachment.text)?.[1] ?? '';
    assert.ok(silence.startsWith(`${am!.url}/#/silences/new?filter=`), attachment.text);
    assert.equal(decodeURIComponent(silence.split('filter=')[1]), '{alertname="RenderWorkerDown",reason="no_heartbeat"}');
    const trace = /\*Trace:\* <([^|>]+)\|/.exec(attachment.text)?.[1] ?? '';
    assert.ok(trace.startsWith(`${GRAFANA}/explore?`), attachment.text);
    assert.ok(decodeURIComponent(trace).includes(`"query":"${TRACE_ID}"`), trace);
    assert.ok(attachment.actions.some((a: any) => a.text === 'Silence' && a.url.includes('/#/silences/new?filter=')));
    assert.ok(!slackAbout('RenderQueueBacklog').length && !slackAbout('RenderQueueStalled').length && !slackAbout('RenderJobHung').length);
  });

  test('a burn-rate page holds back the error spike; API down holds back what its absence causes', async () => {
    await postSourcesThenTargets(
      [alert('RenderSLOBurnRate', { severity: 'critical', long: '1h', short: '5m' }), alert('RenderApiDown', { severity: 'critical' })],
      [
        alert('RenderErrorSpike', { severity: 'critical', category: 'network' }),
        alert('RenderApiErrorsHigh', { severity: 'critical' }),
        alert('RenderProcessRestarting', { severity: 'warning', job: 'render-api', instance: 'api:3000' }),
        alert('RenderWorkerDown', { severity: 'critical', reason: 'no_heartbeat' }),
        // Not caused by the API's absence: a worker's memory, and worker targets seen down by
        // Prometheus itself, stay pages of their own.
        alert('RenderMemoryNearLimit', { severity: 'warning', job: 'render-worker', instance: 'worker-2:9464' }),
        alert('RenderWorkerDown', { severity: 'critical', reason: 'targets_down' }),
      ],
    );
    const workerDown = async (reason: string) =>
      (await states()).find((a) => a.labels.alertname === 'RenderWorkerDown' && a.labels.reason === reason)?.status.state;
    await waitFor('the API-observed worker signal held back', async () => (await workerDown('no_heartbeat')) === 'suppressed', 10_000, 100);
    assert.equal(await workerDown('targets_down'), 'active');
    for (const name of ['RenderErrorSpike', 'RenderApiErrorsHigh', 'RenderProcessRestarting']) {
      await waitFor(`${name} inhibited`, async () => (await stateOf(name))?.state === 'suppressed', 10_000, 100);
    }
    await waitFor('the unrelated warning in Slack', () => slackAbout('RenderMemoryNearLimit').length > 0, 30_000, 100);
    assert.equal((await stateOf('RenderMemoryNearLimit'))?.state, 'active');
    assert.equal((await stateOf('RenderSLOBurnRate'))?.state, 'active');
    assert.equal((await stateOf('RenderApiDown'))?.state, 'active');
    await waitFor('the burn-rate page in Slack', () => slackAbout('RenderSLOBurnRate').length > 0, 30_000, 100);
    assert.match(slackAbout('RenderSLOBurnRate')[0].body.attachments[0].text, /\*Windows:\* 1h\/5m/);
  });
});
