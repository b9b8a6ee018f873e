/** Holds a live answer's headers to what the OpenAPI document says that operation and status send. */
import assert from 'node:assert/strict';
import { openApiDocument } from '../../services/api/openapi';

type Json = Record<string, unknown>;
const doc = openApiDocument('test') as { paths: Record<string, Record<string, Json>>; components: { headers: Record<string, Json> } };

/** The documented response headers of `operationId` at `status`, references resolved. */
export function documentedHeaders(operationId: string, status: number): Record<string, { required?: boolean; schema: Json }> {
  for (const ops of Object.values(doc.paths)) {
    for (const op of Object.values(ops)) {
      if (op.operationId !== operationId) continue;
      const response = (op.responses as Record<string, { headers?: Record<string, Json> }>)[String(status)];
      assert.ok(response, `${operationId} documents no ${status}`);
      return Object.fromEntries(
        Object.entries(response.headers ?? {}).map(([name, h]) => {
          const ref = typeof h.$ref === 'string' ? h.$ref.split('/').at(-1)! : undefined;
          return [name, (ref ? doc.components.headers[ref] : h) as { required?: boolean; schema: Json }];
        }),
      );
    }
  }
  throw new Error(`no operation ${operationId}`);
}

/** Every documented header of the answer is there when required and matches its schema when present; returns the names checked. */
export function assertDocumentedHeaders(operationId: string, status: number, headers: Headers): string[] {
  const documented = documentedHeaders(operationId, status);
  for (const [name, spec] of Object.entries(documented)) {
    const value = headers.get(name);
    if (value === null) {
      assert.ok(!spec.required, `${operationId} ${status}: ${name} is documented as always sent`);
      continue;
    }
    if (typeof spec.schema.pattern === 'string') assert.match(value, new RegExp(spec.schema.pattern), `${operationId} ${status}: ${name}`);
    if ('const' in spec.schema) assert.equal(value, spec.schema.const, `${operationId} ${status}: ${name}`);
  }
  return Object.keys(documented);
}
