/**
 * The HTTP server's own bounds and its own answers. Node's parser answers some requests before
 * Express sees them (a malformed request line, headers over its 16 KiB limit, a request that did
 * not arrive in time); its default answers are bare status lines, so they are written here in the
 * API's JSON error shape instead. Timeouts bound what a slow or silent client can hold: the headers
 * within `headersTimeoutSeconds`, the whole request within `requestTimeoutSeconds` (then 408 and the
 * connection closed), an idle keep-alive connection for `keepAliveSeconds`.
 */
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { BadRequestError } from '../shared/errors';
import type { Config } from '../shared/config';

/** How often Node checks open connections against the timeouts (its default, 30 s, would stretch them). */
const CHECK_INTERVAL_MS = 1000;

/** The checking interval to pass to `createServer` (it is fixed once the server exists). */
export const connectionsCheckingIntervalMs = CHECK_INTERVAL_MS;

/** Applies the timeouts and answers the parser's errors as JSON. */
export function boundHttpServer(server: Server, http: Config['http']): void {
  server.headersTimeout = http.headersTimeoutSeconds * 1000;
  server.requestTimeout = http.requestTimeoutSeconds * 1000;
  server.keepAliveTimeout = http.keepAliveSeconds * 1000;
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A reset or a socket already written to (a response under way) gets no second answer.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code !== 'ECONNRESET' && socket.writable && !inFlight?.headersSent) {
      socket.write(rawJsonAnswer(parserError(err, http)));
    }
    socket.destroy();
  });
}

/** The code of one parser error (Node's own mapping: 431, 408, otherwise 400). */
function parserError(err: NodeJS.ErrnoException, http: Config['http']): BadRequestError {
  if (err.code === 'HPE_HEADER_OVERFLOW') return new BadRequestError('HEADERS_TOO_LARGE');
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new BadRequestError('REQUEST_TIMEOUT', http.requestTimeoutSeconds);
  return new BadRequestError('BAD_REQUEST');
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/** A whole HTTP/1.1 response, written straight to the socket, that closes the connection. */
function rawJsonAnswer(error: BadRequestError): string {
  const body = JSON.stringify(error.toResponseBody());
  return [
    `HTTP/1.1 ${error.httpStatus} ${REASONS[error.httpStatus] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}
