/**
 * The whole alerting path, live: the embedded service fails real jobs, a real Prometheus scrapes it
 * and evaluates the committed rules, a real Alertmanager routes the page through the Slack receiver
 * and template to a local receiver, firing and then resolved. Every job failing fires both
 * RenderErrorSpike and RenderSLOBurnRate in Prometheus; Alertmanager pages once, for the burn rate,
 * and holds the spike back (one page per incident).
 *
 * To finish in about a minute the rules are a time-scaled copy (prometheus/time-scale.ts): every
 * range and `for:` divided by TIME_FACTOR (5m → 15s, 1h → 3m, for 2m → 6s), expressions and
 * thresholds unchanged. The promtool unit tests (prometheus/tests/) prove the real timings.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, test } from 'vitest';
import { loopbackAlertmanagerConfig } from '../../prometheus/alertmanager-config';
import { prometheusConfig } from '../../prometheus/prometheus-config';
import { ALERTS_FILE, RECORDING_FILE, runbookUrl } from '../../prometheus/runbooks';
import { scaleRuleFile } from '../../prometheus/time-scale';
import {
  startAlertmanager,
  startWebhookReceiver,
  type ReceivedPost,
  type RunningAlertmanager,
  type WebhookReceiver,
} from '../support/alertmanager';
import { submitJob, tinyDeck, waitForStatus } from '../support/jobs';
import { freePort, waitFor } from '../support/ports';
import { startPrometheus, waitForTargetsUp, type RunningPrometheus } from '../support/prometheus';
import { startService, type RunningService } from '../support/service';

const TIME_FACTOR = 20;

let receiver: WebhookReceiver | undefined;
let am: RunningAlertmanager | undefined;
let svc: RunningService | undefined;
let prom: RunningPrometheus | undefined;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  am = await startAlertmanager(
    loopbackAlertmanagerConfig({
      slack: { url: `${receiver.url}/slack` },
      heartbeatUrl: `${receiver.url}/heartbeat`,
      groupWait: '1s',
      groupInterval: '1s',
    }),
  );
  // One attempt, no backoff: every job fails at once, so errors arrive as fast as we submit.
  svc = await startService({ env: { RENDER_MAX_ATTEMPTS: '1', RENDER_BACKOFF_MS: '0', RENDER_FETCH_TIMEOUT_MS: '2000' } });
  const config = prometheusConfig({
    targets: { api: [`127.0.0.1:${svc.port}`], workers: [], collector: [], alertmanager: [am.address], prometheus: [] },
    credentialsFile: 'metrics-token',
    ruleFiles: ['render-recording.yml', 'render-alerts.yml'],
    scrapeInterval: '1s',
    evaluationInterval: '1s',
  });
  prom = await startPrometheus(
    config,
    {
      'metrics-token': '',
      'render-recording.yml': scaleRuleFile(readFileSync(RECORDING_FILE, 'utf8'), TIME_FACTOR),
      'render-alerts.yml': scaleRuleFile(readFileSync(ALERTS_FILE, 'utf8'), TIME_FACTOR),
      // Alerts evaluated before Prometheus has discovered Alertmanager are dropped until the next resend
      // (1m by default); Watchdog fires on the first evaluation, so resend often.
    },
    ['--rules.alert.resend-delay=2s'],
  );
  await waitForTargetsUp(prom);
});

afterAll(async () => {
  await svc?.stop();
  svc?.cleanup();
  await prom?.stop();
  await am?.stop();
  await receiver?.stop();
});

/** Slack messages about `alertname` whose title says `status` (FIRING or RESOLVED). */
function slackMessages(status: 'FIRING' | 'RESOLVED', alertname: string): ReceivedPost[] {
  return (receiver?.posts ?? []).filter(
    (p) =>
      p.path === '/slack' &&
      p.body?.attachments?.some((a: any) => String(a.title).startsWith(`[${status}`) && String(a.title).includes(alertname)),
  );
}

/** Alertmanager's own view of one alert (active, suppressed) by name. */
async function amState(alertname: string): Promise<{ state: string; inhibitedBy: string[] } | undefined> {
  const res = await fetch(`${am!.url}/api/v2/alerts`);
  const alerts = (await res.json()) as { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }[];
  return alerts.find((a) => a.labels.alertname === alertname)?.status;
}

test('failing jobs page once: RenderSLOBurnRate reaches Slack with its links, RenderErrorSpike fires but is held back, then resolved', {
  timeout: 360_000,
}, async () => {
  const closedPort = await freePort();
  const deck = tinyDeck('alerting e2e', 1, 1);
  (deck.slides[0] as Record<string, unknown>).audioUrl = `http://127.0.0.1:${closedPort}/narration.mp3`;

  const first = await submitJob(svc!.url, deck);
  const failed = await waitForStatus(svc!.url, first.id, ['failed', 'completed'], 30_000);
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error?.category, 'network');

  // Keep failing jobs coming (about 2/s, far above the 0.03/s floor) until the page arrives and
  // the spike is firing in Prometheus too.
  let submitting = true;
  const load = (async () => {
    while (submitting) {
      await submitJob(svc!.url, deck).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  const firingInPrometheus = async (name: string) =>
    ((await prom!.api('/api/v1/alerts')).alerts as { labels: Record<string, string>; state: string }[]).find(
      (a) => a.labels.alertname === name && a.state === 'firing',
    );
  try {
    await waitFor('a firing RenderSLOBurnRate Slack message', () => slackMessages('FIRING', 'RenderSLOBurnRate').length > 0, 150_000, 250);
    await waitFor(
      'RenderErrorSpike firing in Prometheus',
      async () => (await firingInPrometheus('RenderErrorSpike')) !== undefined,
      60_000,
      250,
    );
    await waitFor(
      'RenderErrorSpike held back by Alertmanager',
      async () => (await amState('RenderErrorSpike'))?.state === 'suppressed',
      30_000,
      250,
    );
  } finally {
    submitting = false;
    await load;
  }
  assert.equal((await firingInPrometheus('RenderErrorSpike'))?.labels.category, 'network');
  assert.ok(((await amState('RenderErrorSpike'))?.inhibitedBy ?? []).length > 0);

  const firing = slackMessages('FIRING', 'RenderSLOBurnRate')[0].body;
  const attachment = firing.attachments[0];
  assert.equal(firing.channel, '#render-alerts');
  assert.equal(attachment.color, 'danger');
  assert.match(attachment.title, /^\[FIRING:\d\] RenderSLOBurnRate \(critical\)$/);
  assert.ok(attachment.text.includes(`<${runbookUrl('RenderSLOBurnRate')}|RenderSLOBurnRate runbook>`), attachment.text);
  assert.match(attachment.text, /\*Windows:\* 1h\/5m/);
  assert.match(attachment.text, /100% of the jobs finished in the last 1h failed/);
  assert.match(attachment.text, /\*Silence:\* <http:\/\/127\.0\.0\.1:\d+\/#\/silences\/new\?filter=%7Balertname%3D%22RenderSLOBurnRate%22/);
  assert.equal(attachment.actions.find((a: any) => a.text === 'Runbook')?.url, runbookUrl('RenderSLOBurnRate'));
  assert.match(attachment.title_link, /\/d\/render-overview\/render-overview\?from=\d+&to=now$/);

  // With no more failures the short windows empty and Prometheus resolves the page.
  await waitFor(
    'a resolved RenderSLOBurnRate Slack message',
    () => slackMessages('RESOLVED', 'RenderSLOBurnRate').length > 0,
    180_000,
    250,
  );
  const resolved = slackMessages('RESOLVED', 'RenderSLOBurnRate')[0].body.attachments[0];
  assert.equal(resolved.color, 'good');
  assert.match(resolved.text, /\*Resolved:\* The render job success SLO is burning/);

  // (Inhibition holds from the moment the burn rate fires; both go pending together here, so a
  // spike notified a moment before is possible and not asserted against.)
  // The dead man's switch went to its own receiver, never to Slack.
  assert.ok(receiver!.posts.some((p) => p.path === '/heartbeat' && p.body.commonLabels?.alertname === 'Watchdog'));
  assert.ok(!receiver!.posts.some((p) => p.path === '/slack' && JSON.stringify(p.body).includes('Watchdog')));
});
