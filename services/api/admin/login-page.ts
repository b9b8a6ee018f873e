/** The login form shown (with 401) to anyone without a valid admin token or session. */
import { html } from './html';
import { labelsFor } from './i18n';
import { layout, type PageContext } from './layout';

/** The login page; `failed` adds the "invalid token" message after a wrong attempt. */
export function renderLoginPage(ctx: PageContext, failed: boolean): string {
  const t = labelsFor(ctx.locale);
  const body = html`<main class="login">
<h1>${t.loginTitle}</h1>
<p>${t.loginPrompt}</p>
${failed ? html`<p class="alert" role="alert" data-testid="login-error">${t.loginFailed}</p>` : ''}
<form method="post" action="${ctx.base}/login" data-testid="login-form">
<label for="token">${t.token}</label>
<input id="token" name="token" type="password" autocomplete="current-password" required maxlength="512">
<button type="submit">${t.login}</button>
</form>
</main>`;
  return layout(ctx, t.loginTitle, body);
}

/** A short error page (bad query, data unavailable) in the reader's language. */
export function renderMessagePage(ctx: PageContext, heading: string, code: string, message: string): string {
  const body = html`<main class="login">
<h1>${heading}</h1>
<p class="alert" role="alert"><code data-testid="error-code">${code}</code> ${message}</p>
<p><a href="${ctx.base}/metrics">${ctx.base}/metrics</a></p>
</main>`;
  return layout(ctx, heading, body);
}
