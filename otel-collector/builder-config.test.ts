/**
 * The collector distribution (builder-config.yaml) carries exactly the components config.yaml uses:
 * checked against the real binary built from the manifest (scripts/stack-bin.sh otelcol), which
 * lists its components and the module each comes from (`otelcol components`), and validates the
 * config the way it will run it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'vitest';
import YAML from 'yaml';
import { expandVariables } from '../stack/config-env';
import { stackBin } from '../stack/launch';

const KINDS = ['receivers', 'processors', 'exporters', 'connectors', 'extensions'] as const;
type Kind = (typeof KINDS)[number];

const configFile = path.join(__dirname, 'config.yaml');
const config = YAML.parse(expandVariables(readFileSync(configFile, 'utf8')));
const manifest = YAML.parse(readFileSync(path.join(__dirname, 'builder-config.yaml'), 'utf8'));
const moduleOf = (gomod: string) => gomod.split(' ')[0];

/** Component types the config uses, per kind (`otlp_grpc/tempo` is type otlp_grpc). */
function usedTypes(kind: Kind): Set<string> {
  return new Set(Object.keys(config[kind] ?? {}).map((id) => id.split('/')[0]));
}

interface Listed {
  name?: string;
  scheme?: string;
  module: string;
}

function components(): Record<string, Listed[]> {
  const r = spawnSync(stackBin('otelcol'), ['components'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return YAML.parse(r.stdout);
}

test('the distribution has every component the config names, and each manifest module serves the config', { timeout: 60 * 60_000 }, () => {
  const listed = components();
  const usedModules = new Set<string>();
  for (const kind of KINDS) {
    const have = new Map((listed[kind] ?? []).map((c) => [c.name as string, moduleOf(c.module)]));
    for (const type of usedTypes(kind)) {
      const mod = have.get(type);
      assert.ok(mod, `config.yaml uses ${kind.slice(0, -1)} ${type}, which builder-config.yaml does not build`);
      usedModules.add(mod);
    }
    // Nothing listed that the config does not use (the manifest carries only what runs).
    for (const [name, mod] of have)
      assert.ok(usedTypes(kind).has(name), `builder-config.yaml carries ${kind} ${name} (${mod}), which config.yaml never uses`);
  }
  for (const kind of KINDS) {
    for (const m of (manifest[kind] ?? []) as { gomod: string }[]) {
      assert.ok(usedModules.has(moduleOf(m.gomod)), `${m.gomod} serves no component config.yaml uses`);
    }
  }
  // Providers: ${env:…} references and the --config file, no others.
  const schemes = (listed.providers ?? []).map((p) => p.scheme).sort();
  assert.deepEqual(schemes, ['env', 'file']);
});

test("the binary was built from this manifest: its modules are exactly the manifest's", { timeout: 60 * 60_000 }, () => {
  const listed = components();
  const fromBinary = [...KINDS, 'providers'].flatMap((k) => (listed[k] ?? []).map((c) => c.module)).sort();
  const fromManifest = [...KINDS, 'providers'].flatMap((k) => ((manifest[k] ?? []) as { gomod: string }[]).map((m) => m.gomod)).sort();
  assert.deepEqual([...new Set(fromBinary)], [...new Set(fromManifest)]);
});

test('the distribution validates config.yaml, with the compose defaults and with loopback variables', { timeout: 60 * 60_000 }, () => {
  const bin = stackBin('otelcol');
  for (const env of [{}, { OTELCOL_LISTEN_HOST: '127.0.0.1', OTELCOL_TEMPO_ENDPOINT: '127.0.0.1:4417', OTELCOL_DECISION_WAIT: '5s' }]) {
    const r = spawnSync(bin, ['validate', `--config=${configFile}`], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    assert.equal(r.status, 0, `${JSON.stringify(env)}: ${r.stderr}`);
  }
});
