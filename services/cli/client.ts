/** A tiny client for the render API, used by every CLI command. */

/** An API error answer, with its stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { path: string; message: string }[],
  ) {
    super(message);
  }
}

/** Calls the API at `base`; non-2xx answers become ApiError. */
export class ApiClient {
  /** `token` is sent as `Authorization: Bearer` when the API has keys (--token / RENDER_API_TOKEN). */
  constructor(
    readonly base: string,
    private readonly token?: string,
  ) {}

  /** JSON request; the body, when given, is sent as JSON. */
  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.raw(method, path, body === undefined ? undefined : JSON.stringify(body));
    return (await res.json()) as T;
  }

  /** The raw response (downloads), after the error check. */
  async raw(method: string, path: string, body?: string): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.base), {
        method,
        body,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new ApiError(0, 'API_UNREACHABLE', `cannot reach the render API at ${this.base}${cause ? ` (${cause})` : ''}`);
    }
    if (!res.ok) {
      const payload = (await res.json().catch(() => ({}))) as {
        error?: { code?: string; message?: string; details?: ApiError['details'] };
      };
      throw new ApiError(
        res.status,
        payload.error?.code ?? `HTTP_${res.status}`,
        payload.error?.message ?? res.statusText,
        payload.error?.details,
      );
    }
    return res;
  }
}
