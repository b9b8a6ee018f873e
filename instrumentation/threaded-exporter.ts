/**
 * The OTLP/HTTP trace and log exporters with their network side on one worker thread. Spans and log
 * records are serialized here, by the library's own serializers (protobuf, or JSON for http/json),
 * and the bytes are handed to a worker (export-thread.ts) that posts them with the library's own
 * export delegate.
 *
 * Why not the stock exporters on the main thread: an HTTP client in the API process makes the API's
 * own HTTP serving slower, well beyond the cost of the export itself. Node's http client and server
 * share their code (OutgoingMessage, IncomingMessage, the parser callbacks, sockets and streams), and
 * the client's objects reaching it make that code less specialised for the server's requests.
 * Measured on this project's CLI mix (bench/telemetry-cost.ts, 3 processes per variant, 4 interleaved
 * cycles, CPU per request against OTEL_SDK_DISABLED=true): spans exported by the stock exporter 0.79;
 * the same spans created but not exported 0.96; no SDK at all but a plain `http.request` POST of
 * 60 kB every 700 ms 0.91 — while exporting a span costs 8–13 µs of CPU measured alone, under 2 µs
 * per request at this mix's 0.14 exported spans per request. A worker thread has its own V8 isolate,
 * so the client's code never runs in the isolate that serves requests. Logs take the same thread:
 * a second thread would be a second isolate's memory for the same client code.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import {
  type ExportReply,
  type ExportRequest,
  type ExportSignal,
  encoding,
  type SignalOptions,
  type ThreadOptions,
} from './export-thread-protocol';

/** The worker's file next to this one: `.ts` under tsx, `.js` in the compiled build. */
function threadFile(): { file: string; execArgv: string[] } {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `export-thread${ext}`);
  // Only what loading the file needs: never the parent's `--import ./instrumentation/register.ts`.
  return { file, execArgv: ext === '.ts' ? ['--import', 'tsx'] : [] };
}

function failed(message: string): ExportResult {
  return { code: ExportResultCode.FAILED, error: new Error(message) };
}

/** The worker thread and the exports in flight on it, shared by the exporters of every signal it was started with. */
export class ExportThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { signal: ExportSignal; callback: (result: ExportResult) => void }>();
  private readonly drained: { signal: ExportSignal; resolve: () => void }[] = [];
  private nextId = 0;
  private users = 0;
  private stopped: Promise<void> | undefined;

  constructor(readonly options: ThreadOptions) {
    const { file, execArgv } = threadFile();
    const worker = new Worker(file, { workerData: options, execArgv });
    worker.on('message', (reply: ExportReply) => {
      if (reply.kind === 'result')
        this.settle(reply.id, reply.ok ? { code: ExportResultCode.SUCCESS } : failed(reply.error ?? 'export failed'));
    });
    // A worker that dies takes no span or log record down with the app: what it held fails (and is counted), later exports fail fast.
    const gone = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const id of [...this.pending.keys()]) this.settle(id, failed(why));
    };
    worker.on('error', (err) => gone(`export thread failed: ${err.message}`));
    worker.on('exit', (code) => gone(`export thread exited (${code})`));
    // Idle, the thread must not keep the process alive; it is ref'd while exports are in flight.
    worker.unref();
    this.worker = worker;
  }

  /** An exporter starts using the thread; the thread ends once every user has released it. */
  attach(): void {
    this.users++;
  }

  /** Hands one serialized request body over; `callback` gets how its export ended. */
  send(signal: ExportSignal, body: Uint8Array, callback: (result: ExportResult) => void): void {
    const worker = this.worker;
    if (!worker) {
      callback(failed('export thread not running'));
      return;
    }
    // Transferred, not copied, when the bytes own their buffer.
    const buffer =
      body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
        ? (body.buffer as ArrayBuffer)
        : (body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
    const id = this.nextId++;
    if (this.pending.size === 0) worker.ref();
    this.pending.set(id, { signal, callback });
    worker.postMessage({ kind: 'export', signal, id, body: buffer } satisfies ExportRequest, [buffer]);
  }

  /** Resolves once every export of `signal` handed over so far has ended. */
  flush(signal: ExportSignal): Promise<void> {
    if (![...this.pending.values()].some((p) => p.signal === signal)) return Promise.resolve();
    return new Promise<void>((resolve) => this.drained.push({ signal, resolve }));
  }

  /** One user is done; the last one waits for the exports in flight, lets the worker's exporters shut down, then ends the thread. */
  release(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0) return Promise.resolve();
    this.stopped ??= Promise.all([this.flush('traces'), this.flush('logs')]).then(async () => {
      const worker = this.worker;
      if (!worker) return;
      worker.ref();
      await new Promise<void>((resolve) => {
        worker.on('message', (reply: ExportReply) => reply.kind === 'shutdown' && resolve());
        worker.once('exit', () => resolve());
        worker.postMessage({ kind: 'shutdown' } satisfies ExportRequest);
      });
      this.worker = undefined;
      await worker.terminate();
    });
    return this.stopped;
  }

  private settle(id: number, result: ExportResult): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    const still = new Set([...this.pending.values()].map((p) => p.signal));
    for (let i = this.drained.length - 1; i >= 0; i--) {
      if (still.has(this.drained[i].signal)) continue;
      this.drained[i].resolve();
      this.drained.splice(i, 1);
    }
    entry.callback(result);
  }
}

/** What the span and log exporters share: serialize on this thread, send on the worker, shut down once. */
abstract class ThreadedExporter<Item> {
  private stopped: Promise<void> | undefined;
  protected abstract readonly signal: ExportSignal;

  constructor(
    private readonly thread: ExportThread,
    private readonly serialize: (items: Item[]) => Uint8Array | undefined,
  ) {
    thread.attach();
  }

  export(items: Item[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      resultCallback(failed('exporter shut down'));
      return;
    }
    let body: Uint8Array | undefined;
    try {
      body = this.serialize(items);
    } catch (err) {
      resultCallback(failed(`serialization failed: ${String(err)}`));
      return;
    }
    if (!body) {
      resultCallback(failed('serialization produced nothing'));
      return;
    }
    this.thread.send(this.signal, body, resultCallback);
  }

  /** Resolves once every export handed over so far has ended. */
  forceFlush(): Promise<void> {
    return this.thread.flush(this.signal);
  }

  /** Waits for this exporter's exports in flight; the thread ends with its last user. */
  shutdown(): Promise<void> {
    this.stopped ??= this.forceFlush().then(() => this.thread.release());
    return this.stopped;
  }
}

/** A SpanExporter whose HTTP requests are made by the export thread (its own, unless one is shared). */
export class ThreadedOtlpExporter extends ThreadedExporter<ReadableSpan> implements SpanExporter {
  protected readonly signal = 'traces';

  constructor(options: SignalOptions, thread: ExportThread = new ExportThread({ traces: options })) {
    const serializer = encoding(options.protocol).traces;
    super(thread, (spans) => serializer.serializeRequest(spans));
  }
}

/** A LogRecordExporter whose HTTP requests are made by the export thread (its own, unless one is shared). */
export class ThreadedOtlpLogExporter extends ThreadedExporter<ReadableLogRecord> implements LogRecordExporter {
  protected readonly signal = 'logs';

  constructor(options: SignalOptions, thread: ExportThread = new ExportThread({ logs: options })) {
    const serializer = encoding(options.protocol).logs;
    super(thread, (records) => serializer.serializeRequest(records));
  }
}
