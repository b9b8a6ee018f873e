/** The recent-jobs table of the admin page. */
import type { JobRecord } from '../../shared/job';
import type { Formatter } from './format';
import { traceUrl } from './grafana-links';
import { html, type SafeHtml } from './html';
import { statusWord, type Labels, type Locale } from './i18n';

/** Where trace links point; absent when Grafana is not configured. */
export interface TraceLinkConfig {
  grafanaUrl: string | undefined;
  tempoUid: string;
}

function traceCell(job: JobRecord, links: TraceLinkConfig, t: Labels): SafeHtml {
  if (!job.traceId) return html`<td>${t.notAvailable}</td>`;
  if (!links.grafanaUrl) return html`<td><code>${job.traceId}</code></td>`;
  const href = traceUrl(links.grafanaUrl, links.tempoUid, job.traceId);
  return html`<td><a href="${href}" rel="noreferrer" data-testid="trace-link">${t.openTrace}</a></td>`;
}

/** One row per job, newest first; every job-supplied string is escaped by `html`. */
export function jobsTable(jobs: readonly JobRecord[], fmt: Formatter, t: Labels, links: TraceLinkConfig, locale: Locale = 'en'): SafeHtml {
  if (jobs.length === 0) return html`<p data-testid="no-jobs">${t.noJobs}</p>`;
  const rows = jobs.map(
    (job) => html`<tr data-testid="job-row" data-job-id="${job.id}">
<td class="title" data-testid="job-title"><bdi>${job.title}</bdi></td>
<td><span class="badge status-${job.status}" data-testid="job-status" data-status="${job.status}">${statusWord(locale, job.status)}</span></td>
<td>${job.stage ?? '—'}</td>
<td class="num" data-value="${job.progress}">${fmt.ratio(job.progress)}</td>
<td class="num">${job.attempts}/${job.maxAttempts}</td>
<td class="num">${fmt.seconds(job.durationSeconds)}</td>
<td>${job.error ? html`<span title="${job.error.code}: ${job.error.message}">${job.error.category}</span>` : '—'}</td>
${traceCell(job, links, t)}
</tr>`,
  );
  return html`<div class="scroll"><table data-testid="recent-jobs">
<thead><tr><th>${t.jobTitle}</th><th>${t.status}</th><th>${t.stage}</th><th>${t.progress}</th><th>${t.attempts}</th><th>${t.duration}</th><th>${t.errorCategory}</th><th>${t.trace}</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}
