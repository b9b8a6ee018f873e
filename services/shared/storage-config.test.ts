import { test } from 'vitest';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig } from './config';

test('no RENDER_STORAGE_URL: the local outputs folder as before (RENDER_OUTPUT_DIR, else under the data dir)', () => {
  assert.deepEqual(loadConfig({ RENDER_DATA_DIR: '/srv/d' }).storage, { kind: 'local', dir: path.resolve('/srv/d/outputs') });
  assert.deepEqual(loadConfig({ RENDER_OUTPUT_DIR: '/srv/videos' }).storage, { kind: 'local', dir: '/srv/videos' });
  assert.equal(loadConfig({}).outputUrlTtlSeconds, 3600);
});

test('file:///path is a local folder (e.g. a shared filesystem)', () => {
  const c = loadConfig({ RENDER_STORAGE_URL: 'file:///mnt/shared/videos/' });
  assert.deepEqual(c.storage, { kind: 'local', dir: '/mnt/shared/videos' });
  assert.equal(c.outputDir, '/mnt/shared/videos');
});

test('s3://bucket/prefix with the standard AWS variables; AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL', () => {
  const c = loadConfig({
    RENDER_STORAGE_URL: 's3://renders/outputs/',
    AWS_ENDPOINT_URL: 'http://other:9000',
    AWS_ENDPOINT_URL_S3: 'http://minio:9000/',
    AWS_REGION: 'eu-west-1',
    RENDER_S3_FORCE_PATH_STYLE: 'true',
    RENDER_S3_PUBLIC_ENDPOINT: 'http://localhost:9000',
    RENDER_OUTPUT_URL_TTL: '600',
  });
  assert.deepEqual(c.storage, {
    kind: 's3',
    bucket: 'renders',
    prefix: 'outputs',
    endpoint: 'http://minio:9000',
    publicEndpoint: 'http://localhost:9000',
    region: 'eu-west-1',
    forcePathStyle: true,
  });
  assert.equal(c.outputUrlTtlSeconds, 600);
  const plain = loadConfig({
    RENDER_STORAGE_URL: 's3://my.bucket-1',
    AWS_ENDPOINT_URL: 'https://s3.example.test',
    AWS_DEFAULT_REGION: 'us-west-2',
  });
  assert.deepEqual(plain.storage, {
    kind: 's3',
    bucket: 'my.bucket-1',
    prefix: '',
    endpoint: 'https://s3.example.test',
    publicEndpoint: undefined,
    region: 'us-west-2',
    forcePathStyle: false,
  });
});

test('a malformed storage setting throws ConfigError naming the variable', () => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ RENDER_STORAGE_URL: 'renders/outputs' }, /RENDER_STORAGE_URL.*not a URL/],
    [{ RENDER_STORAGE_URL: 'gs://bucket' }, /RENDER_STORAGE_URL.*scheme gs:/],
    [{ RENDER_STORAGE_URL: 's3://Bad_Bucket/x' }, /RENDER_STORAGE_URL.*bucket name/],
    [{ RENDER_STORAGE_URL: 's3://ab' }, /RENDER_STORAGE_URL.*bucket name/],
    [{ RENDER_STORAGE_URL: 's3://renders/a//b' }, /RENDER_STORAGE_URL.*prefix/],
    [{ RENDER_STORAGE_URL: 's3://key:secret@renders/x' }, /RENDER_STORAGE_URL.*credentials/],
    [{ RENDER_STORAGE_URL: 's3://renders?x=1' }, /RENDER_STORAGE_URL.*query/],
    [{ RENDER_STORAGE_URL: 'file://host/videos' }, /RENDER_STORAGE_URL.*file:\/\/\/path/],
    [{ RENDER_STORAGE_URL: 'file:///' }, /RENDER_STORAGE_URL/],
    [{ RENDER_STORAGE_URL: 's3://renders', AWS_ENDPOINT_URL_S3: 'minio:9000' }, /AWS_ENDPOINT_URL_S3/],
    [{ RENDER_STORAGE_URL: 's3://renders', RENDER_S3_PUBLIC_ENDPOINT: 'ftp://x' }, /RENDER_S3_PUBLIC_ENDPOINT/],
    [{ RENDER_S3_FORCE_PATH_STYLE: 'yes' }, /RENDER_S3_FORCE_PATH_STYLE/],
    [{ RENDER_OUTPUT_URL_TTL: '0' }, /RENDER_OUTPUT_URL_TTL/],
    [{ RENDER_OUTPUT_URL_TTL: '604801' }, /RENDER_OUTPUT_URL_TTL/],
  ];
  for (const [env, message] of bad) {
    assert.throws(
      () => loadConfig(env),
      (err: Error) => err instanceof ConfigError && message.test(err.message),
      JSON.stringify(env),
    );
  }
});

test('the API process refuses to start on a malformed RENDER_STORAGE_URL, naming it', { timeout: 30_000 }, () => {
  let stderr = '';
  let status: number | null = 0;
  try {
    execFileSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'api', 'main.ts')], {
      env: { ...process.env, RENDER_STORAGE_URL: 'renders/outputs', PORT: '0', HOST: '127.0.0.1', OTEL_SDK_DISABLED: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      timeout: 20_000,
    });
  } catch (err) {
    stderr = String((err as { stderr?: string }).stderr);
    status = (err as { status: number | null }).status;
  }
  assert.equal(status, 1);
  assert.match(stderr, /RENDER_STORAGE_URL/);
});
