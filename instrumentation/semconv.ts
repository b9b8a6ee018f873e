/**
 * Incubating resource attribute names the bootstrap sets, copied from
 * @opentelemetry/semantic-conventions/incubating (1.45.0): the package asks runtime code not to
 * import that entry point (it may break in a minor release) but to copy what it uses.
 * semconv.test.ts checks the copies against it. Stable names are imported from the package itself.
 */
export const ATTR_HOST_NAME = 'host.name';
export const ATTR_HOST_ARCH = 'host.arch';
export const ATTR_OS_TYPE = 'os.type';
export const ATTR_PROCESS_PID = 'process.pid';
export const ATTR_PROCESS_RUNTIME_NAME = 'process.runtime.name';
export const ATTR_PROCESS_RUNTIME_VERSION = 'process.runtime.version';
