import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'vitest';
import { issueSession, readCookie, sessionCookie, SESSION_TTL_MS, verifySession } from './session';

test('a session verifies with its token only, and never contains the token', () => {
  const token = 's3cret-admin-token';
  const value = issueSession(token, 1_000_000);
  assert.ok(!value.includes(token));
  assert.equal(verifySession(value, token, 1_000_001), true);
  assert.equal(verifySession(value, 'another-token', 1_000_001), false);
});

test('expired, far-future and tampered sessions are refused', () => {
  const token = 't';
  const now = 5_000_000;
  const value = issueSession(token, now);
  assert.equal(verifySession(value, token, now + SESSION_TTL_MS), false, 'expired');
  const [expires, mac] = value.split('.');
  assert.equal(verifySession(`${Number(expires) + 1}.${mac}`, token, now), false, 'expiry changed');
  const flipped = mac.slice(0, 10) + (mac[10] === 'x' ? 'y' : 'x') + mac.slice(11);
  assert.equal(verifySession(`${expires}.${flipped}`, token, now), false, 'signature changed');
  assert.equal(verifySession(issueSession(token, now + SESSION_TTL_MS * 10), token, now), false, 'lifetime longer than the TTL');
  for (const junk of [undefined, '', 'abc', `${expires}.`, `.${mac}`, `${expires}.${mac}.x`])
    assert.equal(verifySession(junk, token, now), false);
});

test('readCookie finds one cookie among several', () => {
  const req = { headers: { cookie: 'a=1; render_admin_session=xyz.abc ; b=2' } } as unknown as IncomingMessage;
  assert.equal(readCookie(req, 'render_admin_session'), 'xyz.abc');
  assert.equal(readCookie(req, 'missing'), undefined);
  assert.equal(readCookie({ headers: {} } as IncomingMessage, 'a'), undefined);
});

test('the cookie is HttpOnly, SameSite=Strict, scoped to /admin, and removable', () => {
  const set = sessionCookie('v', false);
  for (const attr of ['HttpOnly', 'SameSite=Strict', 'Path=/admin']) assert.ok(set.includes(attr), attr);
  assert.ok(!set.includes('Secure'));
  assert.ok(sessionCookie('v', true).includes('Secure'));
  assert.match(sessionCookie(null, false), /^render_admin_session=; Max-Age=0;/);
});
