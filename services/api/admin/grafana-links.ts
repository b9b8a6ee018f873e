/** Links from the fallback page into Grafana, when `GRAFANA_URL` is configured. */

/** The overview dashboard's uid, as provisioned from grafana/. */
export const OVERVIEW_DASHBOARD_UID = 'render-overview';

const base = (grafanaUrl: string) => grafanaUrl.replace(/\/+$/, '');

/** The overview dashboard. */
export function dashboardUrl(grafanaUrl: string): string {
  return `${base(grafanaUrl)}/d/${OVERVIEW_DASHBOARD_UID}`;
}

/** Grafana Explore opened on one trace in the Tempo datasource `tempoUid`. */
export function traceUrl(grafanaUrl: string, tempoUid: string, traceId: string): string {
  const datasource = { type: 'tempo', uid: tempoUid };
  const panes = {
    trace: {
      datasource: tempoUid,
      queries: [{ refId: 'A', datasource, queryType: 'traceql', query: traceId }],
      range: { from: 'now-30d', to: 'now' },
    },
  };
  return `${base(grafanaUrl)}/explore?schemaVersion=1&orgId=1&panes=${encodeURIComponent(JSON.stringify(panes))}`;
}
