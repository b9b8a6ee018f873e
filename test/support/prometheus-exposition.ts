/**
 * Parses Prometheus text exposition format 0.0.4 into families of samples, so tests can compare two
 * serializers by meaning (families, types, samples, values) rather than by bytes: label order,
 * comment lines (`# UNIT`) and trailing timestamps do not matter.
 */

/** One parsed family: its type, help and samples keyed by `name{sorted labels}`. */
export interface ParsedFamily {
  type: string;
  help: string;
  /** Sample key (`name` plus labels sorted by name) to value. */
  samples: Map<string, number>;
}

/** Options to drop what two serializers legitimately do differently. */
export interface ParseOptions {
  /** Families left out entirely (e.g. `target_info`). */
  dropFamilies?: readonly string[];
  /** Labels whose name starts with one of these are removed from every sample (e.g. `otel_scope_`). */
  dropLabelPrefixes?: readonly string[];
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new Error(`not a sample value: ${JSON.stringify(text)}`);
  return n;
}

/** Reads `{a="1",b="x\"y"}` from `line` at `pos` (just past `{`); returns the labels and the position after `}`. */
function parseLabels(line: string, pos: number): { labels: [string, string][]; end: number } {
  const labels: [string, string][] = [];
  let i = pos;
  while (line[i] !== '}') {
    if (line[i] === ',') i++;
    const eq = line.indexOf('=', i);
    if (eq < 0 || line[eq + 1] !== '"') throw new Error(`bad label in: ${line}`);
    const name = line.slice(i, eq).trim();
    let value = '';
    i = eq + 2;
    for (; line[i] !== '"'; i++) {
      if (i >= line.length) throw new Error(`unterminated label value in: ${line}`);
      if (line[i] === '\\') {
        const next = line[++i];
        value += next === 'n' ? '\n' : next;
      } else value += line[i];
    }
    labels.push([name, value]);
    i++;
  }
  return { labels, end: i + 1 };
}

/** The family a sample name belongs to under the declared type (histograms own `_bucket`, `_sum`, `_count`). */
function belongsTo(sample: string, family: string, type: string): boolean {
  if (sample === family) return type !== 'histogram';
  return type === 'histogram' && [`${family}_bucket`, `${family}_sum`, `${family}_count`].includes(sample);
}

/** Parses a whole exposition; throws on a sample outside its declared family or an unreadable line. */
export function parseExposition(text: string, options: ParseOptions = {}): Map<string, ParsedFamily> {
  const families = new Map<string, ParsedFamily>();
  const helps = new Map<string, string>();
  let current: { name: string; family: ParsedFamily } | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) continue; // other comments (`# UNIT`, free text)
      if (m[1] === 'HELP') helps.set(m[2], unescapeHelp(m[3]));
      else {
        const family: ParsedFamily = { type: m[3], help: '', samples: new Map() };
        current = { name: m[2], family };
        if (!options.dropFamilies?.includes(m[2])) families.set(m[2], family);
      }
      continue;
    }
    const nameEnd = line.search(/[{ ]/);
    const name = line.slice(0, nameEnd);
    let labels: [string, string][] = [];
    let rest = nameEnd;
    if (line[nameEnd] === '{') ({ labels, end: rest } = parseLabels(line, nameEnd + 1));
    const [value] = line.slice(rest).trim().split(/\s+/); // a timestamp may follow
    if (!current || !belongsTo(name, current.name, current.family.type)) throw new Error(`sample outside its family: ${line}`);
    const kept = labels
      .filter(([k]) => !options.dropLabelPrefixes?.some((p) => k.startsWith(p)))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = `${name}{${kept.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (current.family.samples.has(key)) throw new Error(`duplicate sample ${key}`);
    current.family.samples.set(key, parseValue(value));
  }
  for (const [name, family] of families) family.help = helps.get(name) ?? '';
  return families;
}

/**
 * What differs between two parsed expositions, one line per difference (empty when they agree):
 * families with samples on one side only, type or help mismatches, missing or extra samples, values.
 */
export function differences(a: Map<string, ParsedFamily>, b: Map<string, ParsedFamily>): string[] {
  const out: string[] = [];
  const names = new Set([...a.keys(), ...b.keys()]);
  for (const name of [...names].sort()) {
    const fa = a.get(name);
    const fb = b.get(name);
    if (!fa?.samples.size || !fb?.samples.size) {
      if (fa?.samples.size || fb?.samples.size) out.push(`${name}: family only in ${fa?.samples.size ? 'the first' : 'the second'}`);
      continue;
    }
    if (fa.type !== fb.type) out.push(`${name}: type ${fa.type} vs ${fb.type}`);
    if (fa.help !== fb.help) out.push(`${name}: help ${JSON.stringify(fa.help)} vs ${JSON.stringify(fb.help)}`);
    for (const key of new Set([...fa.samples.keys(), ...fb.samples.keys()])) {
      const va = fa.samples.get(key);
      const vb = fb.samples.get(key);
      if (va === undefined || vb === undefined) out.push(`${key}: only in ${va === undefined ? 'the second' : 'the first'}`);
      else if (!Object.is(va, vb)) out.push(`${key}: ${va} vs ${vb}`);
    }
  }
  return out;
}
