/**
 * Which characters user text may hold. Control characters (C0, DEL, C1) have no business in a
 * title and would reach terminals, logs and FFmpeg's drawtext as such; body text (slide content,
 * narration) keeps newline and tab. Bidirectional embeddings, overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069) make a title display in another order than it is stored (a
 * "Trojan Source" spoof: `‮gpj.exe` shows as `exe.jpg`), so titles refuse them; text stored before
 * this rule is neutralised wherever it is shown (`neutralise`).
 */

/** Every control character: C0, DEL and C1. */
const CONTROL = '\\x00-\\x1f\\x7f-\\x9f';
/** Control characters except tab and newline (allowed in body text). */
const CONTROL_BUT_TAB_NEWLINE = '\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f';
/** Bidirectional embeddings, overrides and isolates. */
const BIDI_CONTROLS = '\\u202a-\\u202e\\u2066-\\u2069';

/** What a title matches (no control character, no bidi control); a pattern JSON Schema can carry. */
export const TITLE_PATTERN = new RegExp(`^[^${CONTROL}${BIDI_CONTROLS}]*$`);
/** What body text matches: no control character but tab and newline. */
export const BODY_TEXT_PATTERN = new RegExp(`^[^${CONTROL_BUT_TAB_NEWLINE}]*$`);

export const TITLE_RULE = 'must not contain control characters or bidirectional controls (U+202A–U+202E, U+2066–U+2069)';
export const BODY_TEXT_RULE = 'must not contain control characters other than newline and tab';

const UNSHOWABLE = new RegExp(`[${CONTROL_BUT_TAB_NEWLINE}${BIDI_CONTROLS}]`, 'g');

/** Text as it may be shown: every control and bidi control replaced by U+FFFD, visible and inert. */
export function neutralise(text: string): string {
  return text.replace(UNSHOWABLE, '\ufffd');
}
