/**
 * A small decoder for OTLP/protobuf trace export requests (opentelemetry-proto
 * `ExportTraceServiceRequest`), producing the same shape the OTLP/JSON exporter sends (hex ids,
 * numeric kind, `{ key, value: { stringValue | intValue | … } }` attributes), so a test receiver
 * reads either encoding the same way. Only the fields tests read are decoded; the rest is skipped.
 */

/** One protobuf field: its number, wire type, and value (a number for varints, bytes otherwise). */
interface Field {
  no: number;
  wire: number;
  /** Varint value (lengths, enums, small ints; precision above 2^53 is lost). */
  num: number;
  /** Where the payload (varint bytes, fixed-size value or length-delimited content) starts and ends. */
  start: number;
  end: number;
}

/** Walks the top-level fields of one message; throws on truncated input. */
function* fields(buf: Uint8Array, from = 0, to = buf.length): Generator<Field> {
  let pos = from;
  const varint = (): number => {
    let value = 0;
    for (let scale = 1; ; scale *= 128) {
      if (pos >= to) throw new Error('truncated protobuf varint');
      const b = buf[pos++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
    }
  };
  while (pos < to) {
    const tag = varint();
    const f: Field = { no: Math.floor(tag / 8), wire: tag & 7, num: 0, start: pos, end: pos };
    if (f.wire === 0) f.num = varint();
    else if (f.wire === 1) pos += 8;
    else if (f.wire === 5) pos += 4;
    else if (f.wire === 2) {
      const len = varint();
      f.start = pos;
      pos += len;
    } else throw new Error(`unsupported protobuf wire type ${f.wire}`);
    if (pos > to) throw new Error('truncated protobuf field');
    f.end = pos;
    yield f;
  }
}

const hex = (buf: Uint8Array, f: Field) => Buffer.from(buf.buffer, buf.byteOffset + f.start, f.end - f.start).toString('hex');
const text = (buf: Uint8Array, f: Field) => Buffer.from(buf.buffer, buf.byteOffset + f.start, f.end - f.start).toString('utf8');

/** An int64 varint as a signed number (two's complement for negatives). */
function int64(buf: Uint8Array, f: Field): number {
  let value = 0n;
  for (let i = f.start, shift = 0n; i < f.end; i++, shift += 7n) value |= BigInt(buf[i] & 0x7f) << shift;
  return Number(BigInt.asIntN(64, value));
}

function anyValue(buf: Uint8Array, f: Field): Record<string, unknown> {
  for (const v of fields(buf, f.start, f.end)) {
    if (v.no === 1) return { stringValue: text(buf, v) };
    if (v.no === 2) return { boolValue: v.num !== 0 };
    if (v.no === 3) return { intValue: int64(buf, v) };
    if (v.no === 4) return { doubleValue: Buffer.from(buf.buffer, buf.byteOffset + v.start, 8).readDoubleLE(0) };
  }
  return {};
}

function attribute(buf: Uint8Array, f: Field): { key: string; value: Record<string, unknown> } {
  const kv = { key: '', value: {} as Record<string, unknown> };
  for (const x of fields(buf, f.start, f.end)) {
    if (x.no === 1) kv.key = text(buf, x);
    else if (x.no === 2) kv.value = anyValue(buf, x);
  }
  return kv;
}

function span(buf: Uint8Array, f: Field): Record<string, unknown> {
  const s: Record<string, unknown> & { attributes: unknown[] } = { attributes: [] };
  for (const x of fields(buf, f.start, f.end)) {
    if (x.no === 1) s.traceId = hex(buf, x);
    else if (x.no === 2) s.spanId = hex(buf, x);
    else if (x.no === 4 && x.end > x.start) s.parentSpanId = hex(buf, x);
    else if (x.no === 5) s.name = text(buf, x);
    else if (x.no === 6) s.kind = x.num;
    else if (x.no === 9) s.attributes.push(attribute(buf, x));
  }
  return s;
}

/** Decodes an ExportTraceServiceRequest body into the OTLP/JSON shape (`{ resourceSpans: [...] }`). */
export function decodeTraceRequest(buf: Uint8Array): { resourceSpans: unknown[] } {
  const resourceSpans: unknown[] = [];
  for (const rs of fields(buf)) {
    if (rs.no !== 1 || rs.wire !== 2) continue;
    const out = { resource: { attributes: [] as unknown[] }, scopeSpans: [] as unknown[] };
    for (const x of fields(buf, rs.start, rs.end)) {
      if (x.no === 1) for (const a of fields(buf, x.start, x.end)) a.no === 1 && out.resource.attributes.push(attribute(buf, a));
      if (x.no !== 2) continue;
      const scope = { spans: [] as unknown[] };
      for (const y of fields(buf, x.start, x.end)) if (y.no === 2) scope.spans.push(span(buf, y));
      out.scopeSpans.push(scope);
    }
    resourceSpans.push(out);
  }
  return { resourceSpans };
}

/** Counts the spans in an ExportTraceServiceRequest body without decoding them. */
export function countTraceRequestSpans(buf: Uint8Array): number {
  let n = 0;
  for (const rs of fields(buf)) {
    if (rs.no !== 1 || rs.wire !== 2) continue;
    for (const ss of fields(buf, rs.start, rs.end)) {
      if (ss.no !== 2 || ss.wire !== 2) continue;
      for (const s of fields(buf, ss.start, ss.end)) if (s.no === 2) n++;
    }
  }
  return n;
}
