/** Human formatting of the page's figures in the reader's language; the raw value stays in `data-value`. */
import type { Locale } from './i18n';

/** Formats figures for one locale. */
export class Formatter {
  private readonly number: Intl.NumberFormat;
  private readonly percent: Intl.NumberFormat;
  private readonly dateTime: Intl.DateTimeFormat;

  constructor(
    readonly locale: Locale,
    private readonly na: string,
  ) {
    this.number = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
    this.percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
    // UTC so every operator and every replica shows the same instant the same way.
    this.dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'short', timeStyle: 'medium', timeZone: 'UTC' });
  }

  /** A count or plain number. */
  count(n: number | null): string {
    return n === null ? this.na : this.number.format(n);
  }

  /** A ratio in [0, 1] (success rate, job progress) as a percentage. */
  ratio(r: number | null): string {
    return r === null ? this.na : this.percent.format(r);
  }

  /** Seconds as "850 ms", "12.3 s", "4 min 5 s" or "2 h 3 min". */
  seconds(s: number | null): string {
    if (s === null) return this.na;
    if (s < 1) return `${this.number.format(Math.round(s * 1000))} ms`;
    if (s < 60) return `${this.number.format(s)} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min ${Math.floor(s % 60)} s`;
    if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
  }

  /** Bytes in MiB. */
  bytes(b: number): string {
    return `${this.number.format(b / (1024 * 1024))} MiB`;
  }

  /** An ISO timestamp, in UTC. */
  instant(iso: string): string {
    const t = Date.parse(iso);
    return Number.isNaN(t) ? iso : `${this.dateTime.format(t)} UTC`;
  }
}
