/** bench/RESULTS.md: the machine, a table per bench (median, min, max) and an SVG chart of the ratios against their targets. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { median } from './stats';

/** One ratio with its target (null: a reference without one). */
export interface RatioLine {
  name: string;
  ratio: number;
  target: number | null;
  higherIsBetter: boolean;
}

/** One row of a bench's table: a measured side and its raw numbers. */
export interface Row {
  label: string;
  unit: string;
  values: number[];
}

/** A bench's section. */
export interface Section {
  title: string;
  what: string;
  rows: Row[];
  notes?: string[];
}

/** Facts of the machine the run happened on. */
export function machineFacts(): string[] {
  const ffmpeg = (() => {
    try {
      return execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }).split('\n')[0];
    } catch {
      return 'ffmpeg not found';
    }
  })();
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  return [
    `Date: ${new Date().toISOString()}`,
    `CPU: ${os.availableParallelism()} cores (${cpu}); load average at the end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`,
    `Memory: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    `Node: ${process.version}; ${ffmpeg}`,
  ];
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(3));

/** A ratio against its target, as the quick run prints it. */
export function ratioText(r: RatioLine): string {
  if (r.target === null) return `${r.name}: ${r.ratio.toFixed(3)} (reference, no target)`;
  return `${r.name}: ${r.ratio.toFixed(3)} (target ${r.higherIsBetter ? '≥' : '≤'} ${r.target})`;
}

/** Whether `r` meets its target (a reference always does). */
export function meets(r: RatioLine): boolean {
  if (r.target === null) return true;
  return r.higherIsBetter ? r.ratio >= r.target : r.ratio <= r.target;
}

/** A horizontal bar chart of the ratios, each with its target marked. */
export function ratioChart(lines: RatioLine[]): string {
  const W = 760;
  const left = 330;
  const bar = 22;
  const gap = 12;
  const max = Math.max(1.2, ...lines.map((l) => l.ratio * 1.1), ...lines.map((l) => (l.target ?? 0) * 1.1));
  const x = (v: number) => left + ((W - left - 40) * v) / max;
  const H = 40 + lines.length * (bar + gap);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    '<title>Bench ratios against their targets (black marks)</title>',
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<line x1="${x(1)}" y1="10" x2="${x(1)}" y2="${H - 20}" stroke="#999" stroke-dasharray="2,3"/>`,
    `<text x="${x(1)}" y="${H - 6}" text-anchor="middle" fill="#666">1.0</text>`,
  ];
  lines.forEach((l, i) => {
    const y = 16 + i * (bar + gap);
    const colour = l.target === null ? '#94a3b8' : meets(l) ? '#16a34a' : '#dc2626';
    parts.push(`<text x="${left - 8}" y="${y + bar / 2 + 4}" text-anchor="end">${esc(l.name)}</text>`);
    parts.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(l.ratio) - left)}" height="${bar}" fill="${colour}"/>`);
    parts.push(`<text x="${x(l.ratio) + 4}" y="${y + bar / 2 + 4}">${l.ratio.toFixed(3)}</text>`);
    if (l.target !== null) {
      parts.push(`<line x1="${x(l.target)}" y1="${y - 3}" x2="${x(l.target)}" y2="${y + bar + 3}" stroke="black" stroke-width="2"/>`);
    }
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The whole RESULTS.md. */
export function resultsMarkdown(command: string, lines: RatioLine[], sections: Section[], chartFile: string, extra: string[]): string {
  const out = [
    '# Bench results',
    '',
    `Written by \`${command}\`. Every ratio is measured in one run, the sides interleaved; raw numbers are below.`,
    'The machine is shared (see the load average): absolute times vary between runs, the ratios less.',
    '',
    ...machineFacts().map((f) => `- ${f}`),
    '',
    '## Ratios',
    '',
    '| Ratio | Value | Target | Verdict |',
    '| --- | --- | --- | --- |',
    ...lines.map(
      (l) =>
        `| ${l.name} | ${l.ratio.toFixed(3)} | ${l.target === null ? 'reference' : `${l.higherIsBetter ? '≥' : '≤'} ${l.target}`} | ${l.target === null ? '' : meets(l) ? 'PASS' : 'FAIL'} |`,
    ),
    '',
    `![ratios against their targets (black marks)](${chartFile})`,
    '',
  ];
  for (const s of sections) {
    out.push(`## ${s.title}`, '', s.what, '', '| Side | Median | Min | Max | Raw |', '| --- | --- | --- | --- | --- |');
    for (const r of s.rows) {
      const v = r.values;
      out.push(`| ${r.label} | ${fmt(median(v))} ${r.unit} | ${fmt(Math.min(...v))} | ${fmt(Math.max(...v))} | ${v.map(fmt).join(', ')} |`);
    }
    out.push('', ...(s.notes ?? []).map((n) => `${n}\n`), '');
  }
  out.push(...extra);
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}
