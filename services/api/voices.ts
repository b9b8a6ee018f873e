/**
 * The espeak-ng voices this host can speak, so a deck naming an unknown voice is refused at submit
 * (400) instead of failing later in the worker. Read once, lazily; when espeak-ng is not installed
 * on the API host (Redis mode on another machine), nothing is checked here and the worker decides.
 */
import { execFile } from 'node:child_process';
import type { RenderRequest } from '../shared/request';
import type { ValidationDetail } from '../shared/request';

/** Parses `espeak-ng --voices`: the Language column plus the languages in the "Other Languages" column. */
export function parseVoiceList(output: string): Set<string> {
  const voices = new Set<string>();
  for (const line of output.split('\n').slice(1)) {
    const columns = line.trim().split(/\s+/);
    if (columns.length >= 2) voices.add(columns[1].toLowerCase());
    for (const match of line.matchAll(/\(([a-z0-9-]+) \d+\)/gi)) voices.add(match[1].toLowerCase());
  }
  return voices;
}

let catalog: Promise<Set<string> | null> | undefined;

/** The installed voices, or null when espeak-ng cannot be asked. */
export function installedVoices(): Promise<Set<string> | null> {
  catalog ??= new Promise((resolve) => {
    execFile('espeak-ng', ['--voices'], { timeout: 5000 }, (err, stdout) => {
      const voices = err ? null : parseVoiceList(stdout);
      resolve(voices && voices.size > 0 ? voices : null);
    });
  });
  return catalog;
}

/** A problem with `config.voice` when some slide will be spoken by espeak-ng with a voice this host lacks. */
export async function voiceProblem(request: RenderRequest): Promise<ValidationDetail | null> {
  if (!request.slides.some((s) => s.narration && !s.audioUrl)) return null;
  const voices = await installedVoices();
  if (!voices || voices.has(request.config.voice.toLowerCase())) return null;
  return {
    path: 'config.voice',
    message: `unknown espeak-ng voice "${request.config.voice}" (see \`espeak-ng --voices\`, e.g. pt-br, en-us)`,
  };
}
