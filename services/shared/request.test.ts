import { test } from 'vitest';
import assert from 'node:assert/strict';
import { LIMITS, parseRenderRequest } from './request';

const slide = { title: 'a', content: 'b', duration: 1 };
const paths = (body: unknown) => {
  const r = parseRenderRequest(body);
  assert.equal(r.ok, false);
  return r.ok ? [] : r.details.map((d) => d.path);
};

test('a minimal deck gets every default filled in', () => {
  const r = parseRenderRequest({ title: 'T', slides: [{}] });
  assert.ok(r.ok);
  assert.deepEqual(r.request.config, { width: 1920, height: 1080, fps: 30, quality: 'medium', voice: 'pt-br' });
  assert.equal(r.request.slides[0].duration, 5);
  assert.equal(r.request.slides[0].transition, 'fade');
});

test('field paths name the slide and the field at fault', () => {
  assert.deepEqual(paths({ title: 'T', slides: [slide, { ...slide, duration: 0.1 }] }), ['slides.1.duration']);
  assert.deepEqual(paths({ title: 'T', slides: [{ ...slide, imageUrl: 'ftp://x/y.png' }] }), ['slides.0.imageUrl']);
  assert.deepEqual(paths({ title: 'T', slides: [{ ...slide, extra: 1 }] }), ['slides.0']);
  assert.deepEqual(paths({ title: 'T', slides: [slide], config: { width: 641 } }), ['config.width']);
  assert.deepEqual(paths(null), ['(body)']);
  assert.deepEqual(paths({ slides: [slide] }), ['title']);
});

test('bounds: slide count, dimensions, fps, total length', () => {
  assert.ok(parseRenderRequest({ title: 'T', slides: Array(LIMITS.maxSlides).fill(slide) }).ok);
  assert.deepEqual(paths({ title: 'T', slides: Array(LIMITS.maxSlides + 1).fill(slide) }), ['slides']);
  assert.deepEqual(paths({ title: 'T', slides: [] }), ['slides']);
  assert.ok(parseRenderRequest({ title: 'T', slides: [slide], config: { width: LIMITS.maxDimension, height: LIMITS.minDimension } }).ok);
  assert.deepEqual(paths({ title: 'T', slides: [slide], config: { width: LIMITS.maxDimension + 2 } }), ['config.width']);
  assert.deepEqual(paths({ title: 'T', slides: [slide], config: { fps: LIMITS.maxFps + 1 } }), ['config.fps']);
  const long = { ...slide, duration: LIMITS.maxSlideSeconds };
  const tooMany = Math.floor(LIMITS.maxTotalSeconds / LIMITS.maxSlideSeconds) + 1;
  assert.deepEqual(paths({ title: 'T', slides: Array(tooMany).fill(long) }), ['slides']);
});

test('voice names and webhook URLs are checked', () => {
  assert.deepEqual(paths({ title: 'T', slides: [slide], config: { voice: 'en us; rm -rf' } }), ['config.voice']);
  assert.deepEqual(paths({ title: 'T', slides: [slide], webhookUrl: 'not a url' }), ['webhookUrl']);
  assert.ok(parseRenderRequest({ title: 'T', slides: [slide], config: { voice: 'en-us' }, webhookUrl: 'http://127.0.0.1:1/hook' }).ok);
});

test('titles refuse control characters and bidirectional controls; body text keeps only newline and tab', () => {
  for (const bad of ['evil\u202egpj.exe', 'isolate\u2066x\u2069', 'bell\u0007', 'two\nlines', 'esc\u001b[31m', 'c1\u0085']) {
    assert.deepEqual(paths({ title: bad, slides: [slide] }), ['title'], JSON.stringify(bad));
    assert.deepEqual(paths({ title: 'T', slides: [{ ...slide, title: bad }] }), ['slides.0.title'], JSON.stringify(bad));
  }
  const ok = parseRenderRequest({ title: 'عنوان — title', slides: [{ ...slide, content: 'line one\n\tindented', narration: 'a\nb' }] });
  assert.ok(ok.ok, 'right-to-left text itself, newlines and tabs in body text are fine');
  for (const bad of ['carriage\r\nreturn', 'nul\u0000', 'esc\u001b[2J']) {
    assert.deepEqual(paths({ title: 'T', slides: [{ ...slide, content: bad }] }), ['slides.0.content'], JSON.stringify(bad));
    assert.deepEqual(paths({ title: 'T', slides: [{ ...slide, narration: bad }] }), ['slides.0.narration'], JSON.stringify(bad));
  }
  const r = parseRenderRequest({ title: 'x\u202ey', slides: [slide] });
  assert.ok(!r.ok);
  assert.match(r.details[0].message, /bidirectional/);
});
