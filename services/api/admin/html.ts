/**
 * HTML building with escaping by default: every value interpolated into `html` is escaped unless it
 * is already `SafeHtml` (the output of another `html` call), so a job title can never become markup.
 */
import { neutralise } from '../../shared/text';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/**
 * Escapes text for use in HTML element content and in quoted attribute values; control and
 * bidirectional control characters (in records stored before submit refused them) are neutralised.
 */
export function escapeHtml(value: unknown): string {
  return neutralise(String(value ?? '')).replace(/[&<>"'`]/g, (c) => ENTITIES[c]);
}

/** A fragment of markup that is already safe to emit as is. */
export class SafeHtml {
  constructor(readonly value: string) {}

  /** The markup itself. */
  toString(): string {
    return this.value;
  }
}

/** A value `html` accepts: text (escaped), safe markup (kept), lists of either (joined), or nothing. */
export type HtmlValue = string | number | boolean | null | undefined | SafeHtml | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(value);
}

/** Tagged template that escapes every interpolated value (see the module comment). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0];
  for (const [i, v] of values.entries()) out += render(v) + strings[i + 1];
  return new SafeHtml(out);
}
