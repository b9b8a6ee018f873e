/** docker-compose.yml as issue "safe to expose" wants it: exposed processes bind every interface, the API reads its keys from a file, private URLs stay refused. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'vitest';
import YAML from 'yaml';
import { REPO_ROOT } from '../support/service';

const compose = YAML.parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const services = compose.services as Record<string, { environment?: Record<string, unknown>; volumes?: string[] }>;

test('the API and every worker set HOST=0.0.0.0; the API reads RENDER_API_KEYS_FILE from a mounted file; no service allows private URLs', () => {
  const render = Object.entries(services).filter(([name]) => name === 'api' || name.startsWith('worker'));
  assert.ok(render.length >= 3);
  for (const [name, svc] of render) {
    assert.equal(svc.environment?.HOST, '0.0.0.0', name);
    assert.notEqual(String(svc.environment?.RENDER_ALLOW_PRIVATE_URLS ?? 'false'), 'true', name);
    assert.equal(svc.environment?.RENDER_AUTH, undefined, `${name} must not switch protected mode off`);
  }
  const api = services.api;
  const target = String(api.environment?.RENDER_API_KEYS_FILE);
  assert.ok(target.startsWith('/'), 'an absolute path inside the container');
  assert.ok(
    (api.volumes ?? []).some((v) => v.endsWith(`:${target}:ro`)),
    'the keys file is mounted read-only at RENDER_API_KEYS_FILE',
  );
});

test('the API takes ADMIN_TOKEN from .env (protected mode refuses it unset, with keys); workers do not get it; .env.example says it is required', () => {
  assert.equal(services.api.environment?.ADMIN_TOKEN, ['$', '{ADMIN_TOKEN:-}'].join(''));
  for (const [name, svc] of Object.entries(services)) {
    if (name.startsWith('worker')) assert.equal(svc.environment?.ADMIN_TOKEN, undefined, name);
  }
  const example = readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8');
  assert.match(example, /^# Required: the admin token[\s\S]*?^ADMIN_TOKEN=$/m);
});
