/**
 * Counts the spans in an OTLP/protobuf ExportTraceServiceRequest by walking field headers only
 * (resource_spans = 1 -> scope_spans = 2 -> spans = 2), for the benches' counting sink: it must
 * notice a traced run that silently dropped spans, and costs the measured machine almost nothing.
 * Tests do not decode protobuf at all (test/support/otlp-receiver.ts decodes http/json only).
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
