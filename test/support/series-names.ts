/**
 * Series names a PromQL expression reads, for checking them against what a live process exposes:
 * plain metric names and `{__name__=~"prefix_(a|b)"}` alternations, expanded.
 */

/** Every metric name in `expr` that starts with one of `prefixes` (e.g. `otelcol_`). */
export function seriesNames(expr: string, prefixes: string[]): string[] {
  const names = new Set<string>();
  const starts = prefixes.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  // __name__ regexes: `prefix_(a|b|c)suffix`, optionally followed by `(_total)?`-style groups.
  for (const m of expr.matchAll(/__name__\s*=~\s*"([^"]+)"/g)) {
    for (const name of expandAlternations(m[1])) if (new RegExp(`^(${starts})`).test(name)) names.add(name);
  }
  const withoutRegexes = expr.replace(/__name__\s*=~\s*"[^"]+"/g, '');
  for (const m of withoutRegexes.matchAll(new RegExp(`\\b(?:${starts})[a-zA-Z0-9_:]*`, 'g'))) names.add(m[0]);
  return [...names].sort();
}

/** `a_(b|c)d(_e)?` → a_bd, a_cd, a_bd_e, a_cd_e: every name a simple alternation regex matches. */
export function expandAlternations(pattern: string): string[] {
  const m = /\(([^()]*)\)(\?)?/.exec(pattern);
  if (!m) return [pattern];
  const options = m[1].split('|');
  if (m[2] === '?') options.push('');
  const head = pattern.slice(0, m.index);
  const tail = pattern.slice(m.index + m[0].length);
  return options.flatMap((o) => expandAlternations(`${head}${o}${tail}`));
}

/** Metric family names on a Prometheus text exposition (sample names, `_bucket`/`_sum`/`_count` kept as written). */
export function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}
