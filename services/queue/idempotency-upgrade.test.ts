/**
 * Idempotency claims written before fingerprints were kept still work after the upgrade: on SQLite
 * a version-4 database migrates to version 5 (its keys with no fingerprint), on Redis a bare job id
 * (layout 2) reads as a claim without one; such a claim still names its job and releases.
 */
import { describe, test } from 'vitest';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import IORedis from 'ioredis';
import { createEmbeddedBackend } from './embedded';
import { MIGRATIONS, SCHEMA_VERSION } from './embedded/migrations';
import { RedisKeys } from './bullmq/keys';
import { freshQueue, quietLogger, redisTestUrl } from '../../test/support/queue';

describe('idempotency claims across the upgrade', () => {
  test('SQLite: a version-4 key migrates and replays without a fingerprint', { timeout: 30_000 }, async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'render-idem-upgrade-'));
    try {
      const db = new Database(path.join(dataDir, 'render.db'));
      for (const step of MIGRATIONS.slice(0, 4)) db.exec(step);
      db.pragma('user_version = 4');
      db.prepare('INSERT INTO idempotency_keys (client, key, job_id, expires_at) VALUES (?, ?, ?, ?)').run(
        'alice',
        'old-key',
        'old-job',
        Date.now() + 60_000,
      );
      db.close();
      const backend = await createEmbeddedBackend({ dataDir, queueName: 'render' }, quietLogger);
      try {
        const claim = await backend.store.claimIdempotencyKey('alice', 'old-key', 'new-job', 60_000, 'sha256:new');
        assert.deepEqual(claim, { jobId: 'old-job', fingerprint: null, claimedAtMs: 0 });
        await backend.store.releaseIdempotencyKey('alice', 'old-key', 'old-job');
        assert.equal(await backend.store.claimIdempotencyKey('alice', 'old-key', 'new-job', 60_000, 'sha256:new'), null);
      } finally {
        await backend.close();
      }
      const after = new Database(path.join(dataDir, 'render.db'), { readonly: true });
      assert.equal(after.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      after.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('Redis: a bare job id left by layout 2 reads as a claim without a fingerprint, and releases', { timeout: 30_000 }, async () => {
    const q = await freshQueue('bullmq');
    const redis = new IORedis(redisTestUrl());
    try {
      const backend = await q.open();
      const key = new RedisKeys(q.queueName).idempotency('alice', 'old-key');
      await redis.set(key, 'old-job', 'PX', 60_000);
      const claim = await backend.store.claimIdempotencyKey('alice', 'old-key', 'new-job', 60_000, 'sha256:new');
      assert.deepEqual(claim, { jobId: 'old-job', fingerprint: null, claimedAtMs: 0 });
      await backend.store.releaseIdempotencyKey('alice', 'old-key', 'old-job');
      assert.equal(await redis.exists(key), 0, 'the layout-2 value is released by its job id');
      assert.equal(await backend.store.claimIdempotencyKey('alice', 'old-key', 'new-job', 60_000, 'sha256:new'), null);
      assert.equal(JSON.parse((await redis.get(key))!).fingerprint, 'sha256:new', 'written as a layout-3 claim');
    } finally {
      redis.disconnect();
      await q.cleanup();
    }
  });
});
