import assert from 'node:assert/strict';
import { test } from 'vitest';
import { labelsFor, pickLocale, statusWord } from './i18n';
import { JOB_STATUSES } from '../../shared/job';

test('pickLocale: Portuguese for pt and pt-BR, English by default', () => {
  assert.equal(pickLocale(undefined), 'en');
  assert.equal(pickLocale(''), 'en');
  assert.equal(pickLocale('pt-BR'), 'pt-BR');
  assert.equal(pickLocale('pt'), 'pt-BR');
  assert.equal(pickLocale('pt-PT,pt;q=0.9'), 'pt-BR');
  assert.equal(pickLocale('PT-br'), 'pt-BR');
  assert.equal(pickLocale('en-US,en;q=0.9'), 'en');
  assert.equal(pickLocale('fr-FR,de;q=0.8'), 'en');
});

test('pickLocale honours q-values and order, and skips languages we do not speak', () => {
  assert.equal(pickLocale('en;q=0.5, pt-BR;q=0.9'), 'pt-BR');
  assert.equal(pickLocale('pt-BR;q=0.4, en;q=0.8'), 'en');
  assert.equal(pickLocale('fr, pt-BR;q=0.7, en;q=0.6'), 'pt-BR');
  assert.equal(pickLocale('en, pt-BR'), 'en');
  assert.equal(pickLocale('pt-BR;q=0, en;q=0.1'), 'en', 'q=0 means "not acceptable"');
});

test('pickLocale tolerates malformed headers', () => {
  assert.equal(pickLocale(',,;q=abc, ;'), 'en');
  assert.equal(pickLocale('pt-BR;q=notanumber'), 'en');
  assert.equal(pickLocale('x'.repeat(10_000)), 'en');
});

test('both dictionaries label every key, with different words', () => {
  const en = labelsFor('en');
  const pt = labelsFor('pt-BR');
  assert.deepEqual(Object.keys(pt).sort(), Object.keys(en).sort());
  for (const [key, value] of Object.entries(pt)) assert.ok(value.length > 0, `pt-BR ${key} is empty`);
  assert.notEqual(pt.refresh, en.refresh);
  assert.notEqual(pt.successRate, en.successRate);
});

test('every job status has a word in both languages', () => {
  for (const status of JOB_STATUSES) {
    assert.equal(statusWord('en', status), status);
    assert.ok(statusWord('pt-BR', status).length > 0 && statusWord('pt-BR', status) !== status, status);
  }
});
