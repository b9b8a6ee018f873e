/**
 * The OTLP/HTTP trace exporter with its network side on a worker thread. Spans are serialized here,
 * by the library's own serializer (protobuf, or JSON for http/json), and the bytes are handed to a
 * worker (export-thread.ts) that posts them with the library's own export delegate.
 *
 * Why not the stock exporter on the main thread: an HTTP client in the API process makes the API's
 * own HTTP serving slower, well beyond the cost of the export itself. Node's http client and server
 * share their code (OutgoingMessage, IncomingMessage, the parser callbacks, sockets and streams), and
 * the client's objects reaching it make that code less specialised for the server's requests.
 * Measured on this project's CLI mix (bench/telemetry-cost.ts, 3 processes per variant, 4 interleaved
 * cycles, CPU per request against OTEL_SDK_DISABLED=true): spans exported by the stock exporter 0.79;
 * the same spans created but not exported 0.96; no SDK at all but a plain `http.request` POST of
 * 60 kB every 700 ms 0.91 — while exporting a span costs 8–13 µs of CPU measured alone, under 2 µs
 * per request at this mix's 0.14 exported spans per request. A worker thread has its own V8 isolate,
 * so the client's code never runs in the isolate that serves requests.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { type ExportReply, type ExportRequest, type ThreadOptions, traceEncoding } from './export-thread-protocol';

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

/** A SpanExporter whose HTTP requests are made by a worker thread. */
export class ThreadedOtlpExporter implements SpanExporter {
  private worker: Worker | undefined;
  private readonly serializer;
  private readonly pending = new Map<number, (result: ExportResult) => void>();
  private readonly drained: (() => void)[] = [];
  private nextId = 0;
  private stopped: Promise<void> | undefined;

  constructor(options: ThreadOptions) {
    this.serializer = traceEncoding(options.protocol).serializer;
    const { file, execArgv } = threadFile();
    const worker = new Worker(file, { workerData: options, execArgv });
    worker.on('message', (reply: ExportReply) => {
      if (reply.kind === 'result')
        this.settle(reply.id, reply.ok ? { code: ExportResultCode.SUCCESS } : failed(reply.error ?? 'export failed'));
    });
    // A worker that dies takes no span down with the app: what it held fails (and is counted), later exports fail fast.
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

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    const worker = this.worker;
    if (!worker) {
      resultCallback(failed('export thread not running'));
      return;
    }
    let body: Uint8Array | undefined;
    try {
      body = this.serializer.serializeRequest(spans);
    } catch (err) {
      resultCallback(failed(`serialization failed: ${String(err)}`));
      return;
    }
    if (!body) {
      resultCallback(failed('serialization produced nothing'));
      return;
    }
    // Transferred, not copied, when the bytes own their buffer.
    const buffer =
      body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
        ? (body.buffer as ArrayBuffer)
        : (body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer);
    const id = this.nextId++;
    if (this.pending.size === 0) worker.ref();
    this.pending.set(id, resultCallback);
    worker.postMessage({ kind: 'export', id, body: buffer } satisfies ExportRequest, [buffer]);
  }

  /** Resolves once every export handed over so far has ended. */
  forceFlush(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.drained.push(resolve));
  }

  /** Waits for the exports in flight, lets the worker's exporter shut down, then ends the thread. */
  shutdown(): Promise<void> {
    this.stopped ??= this.forceFlush().then(async () => {
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
    const callback = this.pending.get(id);
    if (!callback) return;
    this.pending.delete(id);
    if (this.pending.size === 0) {
      this.worker?.unref();
      for (const resolve of this.drained.splice(0)) resolve();
    }
    callback(result);
  }
}
