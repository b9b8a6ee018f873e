import assert from 'node:assert/strict';
import { test } from 'vitest';
import { escapeHtml, html, SafeHtml } from './html';

test('escapeHtml neutralises every character that can open markup or end an attribute', () => {
  assert.equal(escapeHtml(`<img src=x onerror=alert(1)>`), '&lt;img src=x onerror=alert(1)&gt;');
  assert.equal(escapeHtml(`a & b "c" 'd' \`e\``), 'a &amp; b &quot;c&quot; &#39;d&#39; &#96;e&#96;');
  assert.equal(escapeHtml('&lt;'), '&amp;lt;', 'already-escaped text is escaped again, not trusted');
  assert.equal(escapeHtml(null), '');
  assert.equal(escapeHtml(42), '42');
});

test('html escapes interpolated text and attribute values but keeps nested fragments', () => {
  const title = '"><script>alert(1)</script>';
  const out = html`<td title="${title}">${title}</td>${html`<b>${'x<y'}</b>`}`.toString();
  assert.equal(
    out,
    '<td title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</td><b>x&lt;y</b>',
  );
  assert.ok(!out.includes('<script>'));
});

test('html joins lists, drops null/undefined/false, and only trusts SafeHtml instances', () => {
  assert.equal(html`${['<a>', html`<b/>`]}|${null}|${undefined}|${false}|${0}`.toString(), '&lt;a&gt;<b/>||||0');
  const lookalike = { value: '<i>' } as unknown as string;
  assert.equal(html`${lookalike}`.toString(), '[object Object]');
  assert.ok(html`x` instanceof SafeHtml);
});

test('escapeHtml neutralises control and bidirectional control characters stored before submit refused them', () => {
  assert.equal(escapeHtml('invoice\u202egpj.exe'), 'invoice\ufffdgpj.exe');
  assert.equal(escapeHtml('a\u2066b\u2069c\u0007d\u001b[31m'), 'a\ufffdb\ufffdc\ufffdd\ufffd[31m');
  assert.equal(escapeHtml('keeps\nnewline\tand tab, and عربي'), 'keeps\nnewline\tand tab, and عربي');
});
