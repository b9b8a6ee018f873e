/** The HTML document around every admin page: one external stylesheet, no script, optional meta refresh. */
import { html, type SafeHtml } from './html';
import type { Locale } from './i18n';

/** Where the page's assets and forms live (the router's mount path, e.g. `/admin`). */
export interface PageContext {
  base: string;
  locale: Locale;
}

/** A complete document; `refreshSeconds` adds a script-free auto-refresh. */
export function layout(ctx: PageContext, title: string, body: SafeHtml, refreshSeconds?: number): string {
  return html`<!doctype html>
<html lang="${ctx.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
${refreshSeconds ? html`<meta http-equiv="refresh" content="${refreshSeconds}">` : ''}
<title>${title}</title>
<link rel="stylesheet" href="${ctx.base}/static/admin.css">
</head>
<body>
${body}
</body>
</html>
`.toString();
}
