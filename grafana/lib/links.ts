/** Links from dashboards and panels to the runbooks and to the other dashboards. */
import { DashboardLinkBuilder, DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard';

/** Tag every generated dashboard carries, so each links to the others through one dropdown. */
export const DASHBOARD_TAG = 'render-o11y';

/**
 * Runbooks live in the repository (docs/runbooks/<AlertName>.md). `$runbook_base` is a dashboard
 * variable so each deployment points it at wherever it publishes the repository.
 */
export function runbookUrl(alertName: string): string {
  return `\${runbook_base}/${alertName}.md`;
}

/** A link to one alert's runbook. */
export function runbookLink(alertName: string): DashboardLinkBuilder {
  return new DashboardLinkBuilder(`Runbook: ${alertName}`)
    .type(DashboardLinkType.Link)
    .url(runbookUrl(alertName))
    .icon('doc')
    .targetBlank(true);
}

/** The dropdown of every other render-o11y dashboard, keeping time range and variables. */
export function dashboardsDropdown(): DashboardLinkBuilder {
  return new DashboardLinkBuilder('Dashboards')
    .type(DashboardLinkType.Dashboards)
    .tags([DASHBOARD_TAG])
    .asDropdown(true)
    .includeVars(true)
    .keepTime(true);
}

/** A link to the runbook index. */
export function runbooksIndexLink(): DashboardLinkBuilder {
  return new DashboardLinkBuilder('Runbooks').type(DashboardLinkType.Link).url('${runbook_base}').icon('doc').targetBlank(true);
}
