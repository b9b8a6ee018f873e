/** Dashboard variables shared by the dashboards. */
import {
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  TextBoxVariableBuilder,
  VariableHide,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DS_UID, PROMETHEUS } from './datasources';

/** `$datasource`: any Prometheus, defaulting to the provisioned one. */
export function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('datasource')
    .label('Prometheus')
    .type('prometheus')
    .current({ text: 'Prometheus', value: DS_UID.prometheus });
}

/** `$environment`, from the resource attribute `deployment.environment.name` on `target_info`. */
export function environmentVariable(): QueryVariableBuilder {
  return new QueryVariableBuilder('environment')
    .label('Environment')
    .datasource(PROMETHEUS)
    .query({ query: 'label_values(target_info, deployment_environment_name)', refId: 'environment' })
    .definition('label_values(target_info, deployment_environment_name)')
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

/** `$instance`: the render processes of the chosen environment. */
export function instanceVariable(): QueryVariableBuilder {
  const query = 'label_values(target_info{job=~"render-api|render-worker", deployment_environment_name=~"$environment"}, instance)';
  return new QueryVariableBuilder('instance')
    .label('Instance')
    .datasource(PROMETHEUS)
    .query({ query, refId: 'instance' })
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

/** `$runbook_base`: where the repository's docs/runbooks directory is published. */
export function runbookBaseVariable(): TextBoxVariableBuilder {
  return new TextBoxVariableBuilder('runbook_base')
    .label('Runbooks URL')
    .description('Base URL of docs/runbooks in the published repository')
    .defaultValue('https://github.com/render-o11y/render-o11y/blob/main/docs/runbooks')
    .hide(VariableHide.HideVariable);
}
