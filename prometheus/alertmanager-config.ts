/**
 * Loopback variants of the committed prometheus/alertmanager.yml for `make stack` and the e2e test:
 * same routes, inhibition and templates, with local endpoints instead of Slack, SMTP and the dead
 * man's switch, so nothing on the machine ever talks to a non-loopback address by accident.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/** The committed Alertmanager configuration file. */
export const ALERTMANAGER_FILE = path.join(__dirname, 'alertmanager.yml');
/** The notification templates, as an absolute glob. */
export const TEMPLATES_GLOB = path.join(__dirname, 'alertmanager', 'templates', '*.tmpl');

/** What a loopback variant changes. */
export interface LoopbackAlertmanagerOptions {
  /** Slack webhook: a URL (tests point it at a local receiver), a file holding it, or none (Slack left out). */
  slack?: { url: string } | { file: string };
  /** Where the Watchdog heartbeat goes; left out when absent. */
  heartbeatUrl?: string;
  /** Extra template files loaded after the committed ones, e.g. one from grafanaUrlTemplate(). */
  templateFiles?: string[];
  /** Shorter grouping for tests, e.g. `1s`. */
  groupWait?: string;
  groupInterval?: string;
}

type Receiver = { name: string; [key: string]: unknown };

/** Reads the committed config and applies the loopback changes; email is always left out (no SMTP here). */
export function loopbackAlertmanagerConfig(o: LoopbackAlertmanagerOptions): Record<string, any> {
  const config = YAML.parse(readFileSync(ALERTMANAGER_FILE, 'utf8'));
  const global = config.global as Record<string, unknown>;
  for (const key of Object.keys(global)) if (key.startsWith('smtp_') || key.startsWith('slack_')) delete global[key];
  config.templates = [TEMPLATES_GLOB, ...(o.templateFiles ?? [])];
  for (const receiver of config.receivers as Receiver[]) {
    delete receiver.email_configs;
    if (receiver.slack_configs) {
      if (!o.slack) delete receiver.slack_configs;
      else {
        const where = 'url' in o.slack ? { api_url: o.slack.url } : { api_url_file: o.slack.file };
        receiver.slack_configs = (receiver.slack_configs as object[]).map((c) => ({ ...c, ...where }));
      }
    }
    if (receiver.webhook_configs) {
      if (!o.heartbeatUrl) delete receiver.webhook_configs;
      else receiver.webhook_configs = (receiver.webhook_configs as object[]).map((c) => ({ ...c, url: o.heartbeatUrl }));
    }
  }
  if (o.groupWait) config.route.group_wait = o.groupWait;
  if (o.groupInterval) config.route.group_interval = o.groupInterval;
  return config;
}

/**
 * A template file's text that points message links at `grafanaUrl` (it redefines
 * "render.grafana.url" of the committed templates; load it after them). docker-compose's
 * Alertmanager writes the same from GRAFANA_URL at start.
 */
export function grafanaUrlTemplate(grafanaUrl: string): string {
  const url = new URL(grafanaUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`GRAFANA_URL must be http(s): ${grafanaUrl}`);
  // A template delimiter in the URL would change the template itself, so it is refused.
  if (/[{}]/.test(grafanaUrl)) throw new Error('GRAFANA_URL must not contain braces');
  return `{{ define "render.grafana.url" }}${grafanaUrl.replace(/\/+$/, '')}{{ end }}\n`;
}
