/** `npm run cli -- submit|list|status|cancel|retry …`: a small client for the render API. */
import { parseArgs } from 'node:util';
import type { PublicJob } from '../shared/job';
import { neutralise } from '../shared/text';
import { ApiClient, ApiError } from './client';
import { submit } from './submit';

const USAGE = `usage: render-o11y <command> [options]   (npx render-o11y …, or npm run cli -- …)
  submit <deck.json> [--follow] [--out file.mp4]   submit a deck; --follow shows progress and downloads the MP4
  list [--status S] [--limit N]                    newest jobs first
  status <id>                                      one job
  cancel <id>                                      cancel a queued or running job
  retry <id>                                       re-queue a failed or cancelled job
options: --url <base> (default $RENDER_API_URL or http://localhost:3000)
         --token <token> (default $RENDER_API_TOKEN): the API key, when the API has keys`;

const row = (j: PublicJob) =>
  `${j.id}  ${j.status.padEnd(10)} ${String(Math.round(j.progress * 100)).padStart(3)}%  ${j.createdAt}  ${neutralise(j.title)}`;

/** Prints a job's details; failures show code, category and message. */
function printJob(j: PublicJob): void {
  console.log(row(j));
  console.log(`  attempts ${j.attempts}/${j.maxAttempts}${j.stage ? `, stage ${j.stage}` : ''}${j.traceId ? `, trace ${j.traceId}` : ''}`);
  if (j.error) console.log(`  error ${j.error.code} [${j.error.category}] ${j.error.message}`);
  if (j.output)
    console.log(`  output ${j.output.width}x${j.output.height}, ${j.output.durationSeconds.toFixed(1)} s, ${j.output.bytes} bytes`);
}

/** Runs one CLI invocation and returns its exit code. */
export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      follow: { type: 'boolean', short: 'f', default: false },
      out: { type: 'string', short: 'o' },
      status: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, arg] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const token = values.token ?? (process.env.RENDER_API_TOKEN || undefined);
  const api = new ApiClient(values.url ?? process.env.RENDER_API_URL ?? 'http://localhost:3000', token);
  const needId = () => {
    if (!arg) throw new ApiError(0, 'USAGE', `${command} needs a job id\n${USAGE}`);
    return encodeURIComponent(arg);
  };
  switch (command) {
    case 'submit':
      if (!arg) throw new ApiError(0, 'USAGE', `submit needs a deck file\n${USAGE}`);
      return submit(api, arg, { follow: values.follow, out: values.out });
    case 'list': {
      const q = new URLSearchParams();
      if (values.status) q.set('status', values.status);
      if (values.limit) q.set('limit', values.limit);
      const page = await api.json<{ jobs: PublicJob[] }>('GET', `/api/jobs?${q}`);
      for (const j of page.jobs) console.log(row(j));
      if (page.jobs.length === 0) console.log('no jobs');
      return 0;
    }
    case 'status':
      printJob(await api.json<PublicJob>('GET', `/api/jobs/${needId()}`));
      return 0;
    case 'cancel':
      printJob(await api.json<PublicJob>('DELETE', `/api/jobs/${needId()}`));
      return 0;
    case 'retry':
      printJob(await api.json<PublicJob>('POST', `/api/jobs/${needId()}/retry`));
      return 0;
    default:
      console.error(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
      return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      if (err instanceof ApiError) {
        console.error(`error: ${err.code}: ${err.message}`);
        for (const d of err.details ?? []) console.error(`  ${d.path}: ${d.message}`);
      } else {
        console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
      }
      process.exit(err instanceof ApiError && err.code === 'USAGE' ? 2 : 1);
    },
  );
}
