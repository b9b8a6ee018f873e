/**
 * Datasource references. UIDs are fixed so provisioning, exemplar links and dashboards agree;
 * the Prometheus one goes through the `$datasource` variable so users can point a dashboard at
 * another Prometheus without editing it.
 */
import type * as common from '@grafana/grafana-foundation-sdk/common';

/** UIDs provisioned by grafana/provisioning/datasources/datasources.yaml. */
export const DS_UID = Object.freeze({ prometheus: 'prometheus', tempo: 'tempo', alertmanager: 'alertmanager', loki: 'loki' });

/** Prometheus, through the dashboard's `$datasource` variable. */
export const PROMETHEUS: common.DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** Tempo, by its fixed UID. */
export const TEMPO: common.DataSourceRef = { type: 'tempo', uid: DS_UID.tempo };

/** Alertmanager, by its fixed UID. */
export const ALERTMANAGER: common.DataSourceRef = { type: 'alertmanager', uid: DS_UID.alertmanager };

/** Loki, by its fixed UID. */
export const LOKI: common.DataSourceRef = { type: 'loki', uid: DS_UID.loki };
