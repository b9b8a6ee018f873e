/**
 * The process's OpenTelemetry Resource. Built by hand instead of with the stock process/host
 * detectors: those add the command line, arguments, executable path, owner and machine id, which
 * can carry secrets and would reach every span and the public `target_info` series.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';
import { sanitizeLabelName } from './prometheus-names';
import {
  ATTR_HOST_ARCH,
  ATTR_HOST_NAME,
  ATTR_OS_TYPE,
  ATTR_PROCESS_PID,
  ATTR_PROCESS_RUNTIME_NAME,
  ATTR_PROCESS_RUNTIME_VERSION,
} from './semconv';

const ENTRY_SERVICE_NAMES: [string, string][] = [
  ['services/api/main.ts', 'render-api'],
  ['services/worker/main.ts', 'render-worker'],
  ['services/main.ts', 'render-o11y'],
];

/** `service.name` for the entry script being run (`render-api`, `render-worker`, else `render-o11y`). */
export function serviceNameForEntry(entry: string | undefined): string {
  const normalized = (entry ?? '').split(path.sep).join('/');
  for (const [suffix, name] of ENTRY_SERVICE_NAMES) if (normalized.endsWith(suffix)) return name;
  return 'render-o11y';
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The namespace the semantic conventions give for UUID v5 `service.instance.id` values. */
const SERVICE_INSTANCE_NAMESPACE = '4d63009a-8d0f-11ee-aad7-4c796ed8e320';

/**
 * A `service.instance.id` that stays the same across restarts of the same process slot (this
 * host — a container's hostname in docker-compose — running this service), as the semantic
 * conventions recommend: a UUID v5 of the slot's name, so the host name itself is not exposed. A
 * random id per start made span-metric series churn at every restart. Two processes of one service
 * on one host must set their own `service.instance.id` in OTEL_RESOURCE_ATTRIBUTES.
 */
export function stableInstanceId(hostname: string, serviceName: string): string {
  return uuidV5(SERVICE_INSTANCE_NAMESPACE, `${hostname}/${serviceName}`);
}

/** RFC 4122 UUID version 5 (SHA-1, name-based) of `name` in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name)
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Our defaults, overridden by OTEL_RESOURCE_ATTRIBUTES and then OTEL_SERVICE_NAME (the envDetector
 * applies that precedence), on top of the SDK's `telemetry.sdk.*` attributes.
 */
export function buildResource(entry: string | undefined = process.argv[1]): Resource {
  const serviceName = serviceNameForEntry(entry);
  const ours = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: serviceName,
    [ATTR_SERVICE_VERSION]: packageVersion(),
    [ATTR_SERVICE_INSTANCE_ID]: stableInstanceId(os.hostname(), serviceName),
    [ATTR_DEPLOYMENT_ENVIRONMENT_NAME]: 'development',
    [ATTR_HOST_NAME]: os.hostname(),
    [ATTR_HOST_ARCH]: process.arch,
    [ATTR_OS_TYPE]: process.platform,
    [ATTR_PROCESS_PID]: process.pid,
    [ATTR_PROCESS_RUNTIME_NAME]: 'nodejs',
    [ATTR_PROCESS_RUNTIME_VERSION]: process.versions.node,
  });
  return defaultResource()
    .merge(ours)
    .merge(detectResources({ detectors: [envDetector] }));
}

// Only these reach `target_info` on the (possibly public) metrics endpoint: identity and versions, no host or path.
const SAFE_PREFIXES = ['service.', 'deployment.', 'telemetry.sdk.', 'process.runtime.'];
const SAFE_KEYS = new Set([ATTR_HOST_ARCH, ATTR_OS_TYPE]);

/** The resource attributes allowed on `target_info`, as Prometheus labels. */
export function safeResourceLabels(resource: { attributes: Attributes }): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(resource.attributes)) {
    if (value === undefined || value === null) continue;
    if (!SAFE_KEYS.has(key) && !SAFE_PREFIXES.some((p) => key.startsWith(p))) continue;
    labels[sanitizeLabelName(key)] = String(value);
  }
  return labels;
}
