/** Client helpers for end-to-end tests: submit decks and wait for jobs over the real HTTP API. */
import { waitFor } from './ports';

/** A job as the API returns it (only the fields tests read). */
export interface ApiJob {
  id: string;
  status: string;
  stage: string | null;
  progress: number;
  attempts: number;
  traceId: string | null;
  error: { code: string; category: string; message: string; retryable: boolean } | null;
  output: { url: string; bytes: number; durationSeconds: number; width: number; height: number } | null;
  [key: string]: unknown;
}

/** A small, fast deck: `slides` plain slides of `seconds` each at 160x120. */
export function tinyDeck(title = 'tiny deck', slides = 2, seconds = 1, extra: Record<string, unknown> = {}) {
  return {
    title,
    slides: Array.from({ length: slides }, (_, i) => ({
      title: `Slide ${i + 1}`,
      content: 'content',
      duration: seconds,
      transition: 'none',
    })),
    config: { width: 160, height: 120, fps: 10, quality: 'low' },
    ...extra,
  };
}

/** POSTs a deck; throws unless the API answers 202. */
export async function submitJob(baseUrl: string, deck: unknown, headers: Record<string, string> = {}): Promise<ApiJob> {
  const res = await fetch(`${baseUrl}/api/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(deck),
  });
  const body = await res.json();
  if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${JSON.stringify(body)}`);
  return body as ApiJob;
}

/** GETs a job. */
export async function getJob(baseUrl: string, id: string): Promise<ApiJob> {
  const res = await fetch(`${baseUrl}/api/jobs/${id}`);
  if (!res.ok) throw new Error(`GET job ${id} answered ${res.status}`);
  return (await res.json()) as ApiJob;
}

/** Waits until the job reaches one of `statuses` and returns it. */
export async function waitForStatus(baseUrl: string, id: string, statuses: string[], timeoutMs = 60_000): Promise<ApiJob> {
  let job: ApiJob | undefined;
  await waitFor(
    `job ${id} to reach ${statuses.join('|')} (last: ${job?.status})`,
    async () => {
      job = await getJob(baseUrl, id);
      return statuses.includes(job.status);
    },
    timeoutMs,
    200,
  );
  return job!;
}
