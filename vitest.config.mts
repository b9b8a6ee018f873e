import { defineConfig } from 'vitest/config';

// Many tests start real servers and processes (FFmpeg, Redis, Prometheus, Alertmanager, Chromium) on
// a 2-core machine: files run one at a time, each in a forked process (native modules, signals and
// `process.exit` behave as in production), with hook timeouts long enough for end-to-end setup.
export default defineConfig({
  test: {
    include: ['{services,instrumentation,telemetry-bridge,prometheus,grafana,otel-collector,stack,test,bench,scripts}/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    teardownTimeout: 30_000,
    env: { NODE_ENV: 'test' },
    reporters: process.env.CI ? ['verbose'] : ['default'],
    coverage: {
      provider: 'v8',
      include: ['services/**/*.ts', 'instrumentation/**/*.ts', 'telemetry-bridge/**/*.ts'],
      exclude: ['**/*.test.ts'],
      reporter: ['text-summary'],
    },
  },
});
