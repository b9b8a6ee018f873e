/**
 * Annotation queries shared by the dashboards: Grafana's built-in one, firing alerts from
 * Prometheus's ALERTS series, and process starts with the versions they run (render_build_info).
 */
import { AnnotationQueryBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { METRIC_NAMES as M } from '../../services/telemetry/metrics';
import { PROMETHEUS } from './datasources';
import { sel } from './queries';

/** Grafana's own annotations and alerts (what every new dashboard has). */
export function builtInAnnotation(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('Annotations & Alerts')
    .datasource({ type: 'grafana', uid: '-- Grafana --' })
    .enable(true)
    .hide(true)
    .iconColor('rgba(0, 211, 255, 1)')
    .type('dashboard')
    .builtIn(1);
}

/** The PromQL of the firing-alerts annotation: every firing alert but the always-firing Watchdog. */
export const FIRING_ALERTS_EXPR = 'ALERTS{alertstate="firing", alertname!="Watchdog"}';

/** A region per firing alert, titled with its name. */
export function firingAlertsAnnotation(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('Firing alerts')
    .datasource(PROMETHEUS)
    .enable(true)
    .iconColor('red')
    .expr(FIRING_ALERTS_EXPR)
    .step('60s')
    .titleFormat('{{alertname}}')
    .textFormat('{{severity}} {{category}}{{reason}}{{state}}')
    .tagKeys('alertname,severity');
}

/**
 * A mark where a render process started (its uptime reset), labelled with the version, FFmpeg and
 * Node.js it now runs: deploys and restarts at a glance. A start whose build info is not there yet
 * is still marked (the `or`).
 */
export const STARTS_EXPR =
  `(max by (job, instance) (resets(${sel(M.uptime)}[1m])) > 0) * on (job, instance) group_left (version, ffmpeg_version, node_version) ` +
  `max by (job, instance, version, ffmpeg_version, node_version) (${sel(M.buildInfo)})` +
  ` or (max by (job, instance) (resets(${sel(M.uptime)}[1m])) > 0)`;

/** Deploys and restarts. */
export function startsAnnotation(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('Deploys and restarts')
    .datasource(PROMETHEUS)
    .enable(true)
    .iconColor('blue')
    .expr(STARTS_EXPR)
    .step('60s')
    .titleFormat('{{job}} {{instance}} started')
    .textFormat('version {{version}}, FFmpeg {{ffmpeg_version}}, Node.js {{node_version}}')
    .tagKeys('job,version');
}

/** Every annotation a render dashboard carries. */
export function renderAnnotations(): AnnotationQueryBuilder[] {
  return [builtInAnnotation(), firingAlertsAnnotation(), startsAnnotation()];
}
