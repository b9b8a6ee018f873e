import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'vitest';
import YAML from 'yaml';
import { stackBin } from '../stack/launch';
import { ALERTS_FILE, RECORDING_FILE } from './runbooks';
import { durationSeconds, scaleDuration, scaleRuleFile } from './time-scale';

test('durations parse the way Prometheus writes them', () => {
  assert.equal(durationSeconds('5m'), 300);
  assert.equal(durationSeconds('1h30m'), 5400);
  assert.equal(durationSeconds('3d'), 259200);
  assert.equal(durationSeconds('250ms'), 0.25);
  assert.throws(() => durationSeconds('5 m'), /not a Prometheus duration/);
  assert.throws(() => durationSeconds('abc'), /not a Prometheus duration/);
});

test('scaling divides and never reaches zero', () => {
  assert.equal(scaleDuration('5m', 20), '15000ms');
  assert.equal(scaleDuration('1h', 20), '180000ms');
  assert.equal(scaleDuration('1ms', 1000), '1ms');
});

test('scaled rule files keep every expression but shrink ranges and for, and promtool accepts them', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'render-o11y-scale-'));
  try {
    const files = [RECORDING_FILE, ALERTS_FILE].map((f) => {
      const scaled = scaleRuleFile(readFileSync(f, 'utf8'), 20);
      const out = path.join(dir, path.basename(f));
      writeFileSync(out, scaled);
      return { original: YAML.parse(readFileSync(f, 'utf8')), scaled: YAML.parse(scaled), out };
    });
    const alerts = files[1];
    const spike = (doc: any) => doc.groups.flatMap((g: any) => g.rules).find((r: any) => r.alert === 'RenderErrorSpike');
    assert.equal(spike(alerts.scaled).for, '6000ms');
    assert.equal(spike(alerts.scaled).annotations.description, spike(alerts.original).annotations.description);
    const recording = files[0].scaled.groups.flatMap((g: any) => g.rules);
    assert.equal(
      recording.find((r: any) => r.record === 'render:errors:rate1h').expr,
      'sum by (category) (rate(render_errors_total[180000ms]))',
    );
    const r = spawnSync(stackBin('promtool'), ['check', 'rules', ...files.map((f) => f.out)], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
