/** The `/admin/metrics` page: the summary's figures as plain server-rendered HTML. */
import type { JobRecord } from '../../shared/job';
import { SUMMARY_RANGES, type Summary, type SummaryRange } from '../../shared/stats';
import { Formatter } from './format';
import { dashboardUrl } from './grafana-links';
import { html, type HtmlValue, type SafeHtml } from './html';
import { labelsFor, type Labels } from './i18n';
import { jobsTable, type TraceLinkConfig } from './jobs-table';
import { layout, type PageContext } from './layout';
import { serviceState } from './service-state';

/** Auto-refresh periods offered as links (seconds). */
export const REFRESH_CHOICES = [30, 60, 300] as const;

/** Everything the page shows; the router gathers it. */
export interface MetricsPageInput extends PageContext {
  summary: Summary;
  recentJobs: readonly JobRecord[];
  range: SummaryRange;
  refreshSeconds: number | undefined;
  heartbeatMs: number;
  links: TraceLinkConfig;
  /** Shows the logout button (only meaningful when a token protects the page). */
  canLogout: boolean;
}

/** One labelled figure: the formatted text for people, the raw value in `data-value` for tests and scrapers. */
function figure(testId: string, label: string, text: string, raw: HtmlValue): SafeHtml {
  return html`<div class="figure"><dt>${label}</dt><dd data-testid="${testId}" data-value="${raw === null ? '' : raw}">${text}</dd></div>`;
}

function query(range: SummaryRange, refresh: number | undefined): string {
  return `?range=${range}${refresh ? `&refresh=${refresh}` : ''}`;
}

function toolbar(input: MetricsPageInput, t: Labels): SafeHtml {
  const { base, range, refreshSeconds: refresh } = input;
  const ranges = (Object.keys(SUMMARY_RANGES) as SummaryRange[]).map((r) =>
    r === range
      ? html`<strong aria-current="page" data-testid="range-current">${r}</strong>`
      : html`<a href="${base}/metrics${query(r, refresh)}" data-testid="range-${r}">${r}</a>`,
  );
  const refreshes = [undefined, ...REFRESH_CHOICES].map((s) => {
    const label = s ? `${s} s` : t.off;
    return s === refresh
      ? html`<strong aria-current="true">${label}</strong>`
      : html`<a href="${base}/metrics${query(range, s)}">${label}</a>`;
  });
  return html`<nav class="toolbar">
<span>${t.range}: ${ranges}</span>
<form method="get" action="${base}/metrics" class="inline">
<input type="hidden" name="range" value="${range}">
${refresh ? html`<input type="hidden" name="refresh" value="${refresh}">` : ''}
<button type="submit" data-testid="refresh">${t.refresh}</button>
</form>
<span>${t.autoRefresh}: ${refreshes}</span>
${input.links.grafanaUrl ? html`<a href="${dashboardUrl(input.links.grafanaUrl)}" rel="noreferrer" data-testid="grafana-dashboard">${t.openGrafana}</a>` : ''}
${input.canLogout ? html`<form method="post" action="${base}/logout" class="inline"><button type="submit" data-testid="logout">${t.logout}</button></form>` : ''}
</nav>`;
}

function serviceSection(input: MetricsPageInput, t: Labels, fmt: Formatter): SafeHtml {
  const { service } = input.summary;
  const { state, lastWorkerSeenSecondsAgo: seen } = serviceState(input.summary, input.heartbeatMs);
  return html`<section><h2>${t.serviceStatus}</h2>
<p class="state state-${state}">${t.status}: <strong data-testid="service-state" data-value="${state}">${t[`status.${state}`]}</strong></p>
${service.queueError ? html`<p class="alert" role="alert">${t.queueError}: <span data-testid="queue-error">${service.queueError}</span></p>` : ''}
${sloAlert(input.summary, t)}
<dl class="grid">
${figure('queue-reachable', t.queueReachable, service.queueReachable ? t.yes : t.no, String(service.queueReachable))}
${figure('workers-count', t.workers, fmt.count(service.workers.length), service.workers.length)}
${figure('worker-last-seen', t.lastWorkerSeen, seen === null ? t.never : `${fmt.seconds(seen)} ${t.ago}`, seen === null ? null : seen.toFixed(1))}
${figure('uptime', t.uptime, fmt.seconds(service.uptimeSeconds), Math.round(service.uptimeSeconds))}
${figure('memory-rss', t.memoryRss, fmt.bytes(service.memory.rss), service.memory.rss)}
${figure('memory-heap-used', t.memoryHeap, fmt.bytes(service.memory.heapUsed), service.memory.heapUsed)}
</dl></section>`;
}

/** Which burn-rate pairs burn, in the words of the alert: the reason a page with live workers is degraded. */
function sloAlert(s: Summary, t: Labels): SafeHtml | '' {
  const burning = s.slo?.burnRates.filter((b) => b.burning) ?? [];
  if (burning.length === 0) return '';
  const pairs = burning.map((b) => `${b.factor}× ${b.long}/${b.short}`).join(', ');
  return html`<p class="alert" role="alert" data-testid="slo-burning">${t.sloBurning} ${pairs})</p>`;
}

function jobsSection(s: Summary, t: Labels, fmt: Formatter): SafeHtml {
  const c = s.duration.completed;
  return html`<section><h2>${t.jobs} (${s.range})</h2><dl class="grid">
${figure('jobs-total', t.total, fmt.count(s.totals.total), s.totals.total)}
${figure('jobs-completed', t.completed, fmt.count(s.totals.completed), s.totals.completed)}
${figure('jobs-failed', t.failed, fmt.count(s.totals.failed), s.totals.failed)}
${figure('jobs-cancelled', t.cancelled, fmt.count(s.totals.cancelled), s.totals.cancelled)}
${figure('jobs-queued', t.queued, fmt.count(s.totals.queued), s.totals.queued)}
${figure('jobs-processing', t.processing, fmt.count(s.totals.processing), s.totals.processing)}
${figure('jobs-retrying', t.retrying, fmt.count(s.totals.retrying), s.totals.retrying)}
${figure('success-rate', t.successRate, fmt.ratio(s.successRate), s.successRate)}
${figure('duration-avg', t.avgDuration, fmt.seconds(c.avg), c.avg)}
${figure('duration-p95', t.p95Duration, fmt.seconds(c.p95), c.p95)}
${figure('queue-wait-avg', t.avgQueueWait, fmt.seconds(s.avgQueueWaitSeconds), s.avgQueueWaitSeconds)}
</dl></section>`;
}

function queueSection(s: Summary, t: Labels, fmt: Formatter): SafeHtml {
  const q = s.queue;
  const n = (v: number | undefined) => (v === undefined ? null : v);
  return html`<section><h2>${t.queue} <small>(${t.backend}: ${s.backend})</small></h2><dl class="grid">
${figure('queue-waiting', t.waiting, fmt.count(n(q?.waiting)), n(q?.waiting))}
${figure('queue-active', t.active, fmt.count(n(q?.active)), n(q?.active))}
${figure('queue-delayed', t.delayed, fmt.count(n(q?.delayed)), n(q?.delayed))}
${figure('queue-oldest-age', t.oldestWaiting, fmt.seconds(n(q?.oldestWaitingAgeSeconds)), n(q?.oldestWaitingAgeSeconds))}
</dl></section>`;
}

function errorsSection(s: Summary, t: Labels, fmt: Formatter): SafeHtml {
  if (s.errors.length === 0) return html`<section><h2>${t.errors}</h2><p data-testid="no-errors">${t.noErrors}</p></section>`;
  const rows = s.errors.map(
    (e) => html`<tr data-testid="error-row" data-category="${e.category}">
<td>${e.category}</td><td class="num" data-testid="error-count" data-value="${e.count}">${fmt.count(e.count)}</td>
<td><ul class="samples">${e.samples.map((m) => html`<li><code>${m.code}</code> <span data-testid="error-sample">${m.message}</span> <small>${fmt.instant(m.at)}</small></li>`)}</ul></td>
</tr>`,
  );
  return html`<section><h2>${t.errors}</h2><div class="scroll"><table data-testid="errors">
<thead><tr><th>${t.category}</th><th>${t.count}</th><th>${t.samples}</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

/** The whole page as an HTML string. */
export function renderMetricsPage(input: MetricsPageInput): string {
  const t = labelsFor(input.locale);
  const fmt = new Formatter(input.locale, t.notAvailable);
  const s = input.summary;
  const body = html`<header>
<h1>${t.title}</h1>
<p class="muted">${t.fallbackNote} ${t.generatedAt} <time data-testid="generated-at" datetime="${s.generatedAt}">${fmt.instant(s.generatedAt)}</time></p>
${toolbar(input, t)}
</header>
<main>
${serviceSection(input, t, fmt)}
${jobsSection(s, t, fmt)}
${queueSection(s, t, fmt)}
${errorsSection(s, t, fmt)}
<section><h2>${t.recentJobs}</h2>${jobsTable(input.recentJobs, fmt, t, input.links, input.locale)}</section>
</main>`;
  return layout(input, t.title, body, input.refreshSeconds);
}
