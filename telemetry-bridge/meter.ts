/**
 * The name of the meter every render-o11y instrument belongs to. The app creates its instruments
 * on it; the Prometheus serializer in `instrumentation/` recognizes our own series by it (their
 * names are final, and only they carry exemplars).
 */
export const METER_NAME = 'render-o11y';
