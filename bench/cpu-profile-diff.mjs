// Self time per unit of work (µs per job or request) of two V8 .cpuprofile files, by function or
// package, largest differences first: attributes a telemetry overhead measured by a bench ratio.
// Only the middle of each profile counts (50%–97% of its time), to skip startup and warm-up.
// Run from the repo root: node bench/cpu-profile-diff.mjs fn|pkg <dirA> <rateA> <dirB> <rateB> [rows]
import fs from 'node:fs';
const ROOT = `file://${process.cwd()}/`;
const [mode, dA, rA, dB, rB, n = '35'] = process.argv.slice(2);
function load(dir, rate) {
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const p = JSON.parse(fs.readFileSync(`${dir}/${file}`));
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  let t = 0;
  const times = [];
  for (const d of p.timeDeltas) {
    t += d;
    times.push(t);
  }
  const start = t * 0.5;
  const endT = t * 0.97;
  const windowS = (endT - start) / 1e6;
  const jobs = windowS * Number(rate);
  const self = new Map();
  const key = (node) => {
    const cf = node.callFrame;
    const url = cf.url.replace(ROOT, '');
    if (mode === 'pkg') {
      const m = url.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
      return m
        ? m[1]
        : url.startsWith('node:')
          ? url.split('/').slice(0, 2).join('/')
          : url
            ? url.split('/').slice(0, 2).join('/')
            : cf.functionName || '(native)';
    }
    return `${cf.functionName || '(anon)'} ${url.replace(/.*node_modules\//, '')}:${cf.lineNumber}`;
  };
  p.samples.forEach((id, i) => {
    if (times[i] < start || times[i] > endT) return;
    const k = key(byId.get(id));
    self.set(k, (self.get(k) || 0) + p.timeDeltas[i]);
  });
  for (const [k, v] of self) self.set(k, v / jobs);
  return self;
}
const A = load(dA, rA),
  B = load(dB, rB);
const keys = new Set([...A.keys(), ...B.keys()]);
const rows = [...keys].map((k) => [k, A.get(k) || 0, B.get(k) || 0]);
const sum = (m) => [...m.values()].filter((_, _i) => true).reduce((a, b) => a + b, 0);
console.log(
  'total us/job (incl idle)',
  sum(A).toFixed(1),
  sum(B).toFixed(1),
  'idle',
  (A.get('(idle) :-1') || A.get('(idle)') || 0).toFixed(1),
  (B.get('(idle) :-1') || B.get('(idle)') || 0).toFixed(1),
);
rows
  .sort((a, b) => Math.abs(b[2] - b[1]) - Math.abs(a[2] - a[1]))
  .slice(0, Number(n))
  .forEach(([k, a, b]) => {
    console.log(a.toFixed(2).padStart(7), b.toFixed(2).padStart(7), (b - a >= 0 ? '+' : '') + (b - a).toFixed(2).padStart(6), k);
  });
