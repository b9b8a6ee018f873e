/**
 * OpenTelemetry → Prometheus name conversion, after the OTel "Prometheus and OpenMetrics
 * compatibility" spec: illegal characters become `_`, third-party metrics get their unit as a
 * suffix, monotonic counters get `_total`. Our own meter's names are already final (they are what
 * rules and dashboards query), so only `_total` is added to them.
 */

const UNIT_WORDS: Record<string, string> = {
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  min: 'minutes',
  h: 'hours',
  d: 'days',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  bit: 'bits',
  Hz: 'hertz',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  Cel: 'celsius',
  '%': 'percent',
};

/** Replaces every character Prometheus forbids in a metric name with `_`, and a leading digit too. */
export function sanitizeMetricName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/_{2,}/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

/** Same for a label name (no colons allowed; `__` prefixes are reserved). */
export function sanitizeLabelName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_]/g, '_');
  if (/^[0-9]/.test(cleaned)) return `key_${cleaned}`;
  return cleaned.startsWith('__') ? `key${cleaned}` : cleaned;
}

/** The unit as a name suffix: `s` → `seconds`, `By/s` → `bytes_per_second`, `{job}` → none, `1` → `ratio` for gauges. */
export function unitSuffix(unit: string, isGauge: boolean): string {
  const u = unit.replace(/\{[^}]*\}/g, '').trim();
  if (u === '') return '';
  if (u === '1') return isGauge ? 'ratio' : '';
  const [num, per] = u.split('/', 2);
  const word = (part: string) => UNIT_WORDS[part] ?? sanitizeMetricName(part);
  const singular = (part: string) => word(part).replace(/s$/, '');
  if (per !== undefined) return num ? `${word(num)}_per_${singular(per)}` : `per_${singular(per)}`;
  return word(num);
}

/**
 * The Prometheus family name of an instrument; `ownMeter` keeps the declared name apart from
 * `_total`, except semantic-convention names (dotted, e.g. `http.server.request.duration`), which
 * get their unit suffix as everywhere else (`http_server_request_duration_seconds`).
 */
export function prometheusName(name: string, unit: string, kind: 'counter' | 'gauge' | 'histogram', ownMeter: boolean): string {
  let base = sanitizeMetricName(name);
  if (!ownMeter || name.includes('.')) {
    const suffix = unitSuffix(unit, kind === 'gauge');
    if (suffix && !base.endsWith(`_${suffix}`)) base = `${base}_${suffix}`;
  }
  if (kind === 'counter' && !base.endsWith('_total')) base = `${base}_total`;
  return base;
}
