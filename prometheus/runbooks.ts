/**
 * Where each alert's runbook lives. Every `runbook_url` in rules/render-alerts.yml is
 * RUNBOOK_BASE_URL + `/<AlertName>.md`, and docs/runbooks/<AlertName>.md exists (rules.test.ts
 * checks both). To publish the runbooks elsewhere, change the base here and run
 * `node --import tsx prometheus/generate.ts runbook-base`, which rewrites the rule file to match.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/** The one base URL of the runbooks: this repository's docs/runbooks folder as its host serves it. */
export const RUNBOOK_BASE_URL = 'https://github.com/render-o11y/render-o11y/blob/main/docs/runbooks';

/** The alert rule file. */
export const ALERTS_FILE = path.join(__dirname, 'rules', 'render-alerts.yml');
/** The recording rule file. */
export const RECORDING_FILE = path.join(__dirname, 'rules', 'render-recording.yml');
/** The runbooks folder. */
export const RUNBOOKS_DIR = path.join(__dirname, '..', 'docs', 'runbooks');

/** One alerting rule as written in the rule file. */
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Every alerting rule in the alert rule file (a name appears once per severity). */
export function alertRules(file = ALERTS_FILE): AlertRule[] {
  const doc = YAML.parse(readFileSync(file, 'utf8')) as { groups: { rules: Partial<AlertRule>[] }[] };
  return doc.groups.flatMap((g) => g.rules).filter((r): r is AlertRule => typeof r.alert === 'string');
}

/** The runbook URL an alert must carry. */
export function runbookUrl(alertName: string): string {
  return `${RUNBOOK_BASE_URL}/${alertName}.md`;
}

/** Rewrites every runbook_url in the alert rule text to the current base, keeping the rest byte for byte. */
export function rewriteRunbookBase(ruleText: string): string {
  return ruleText.replace(/runbook_url: \S+\/([A-Za-z]+)\.md/g, (_, name: string) => `runbook_url: ${runbookUrl(name)}`);
}
