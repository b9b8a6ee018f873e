/**
 * The submit-time check of a deck's URLs: a host that is a refused IP literal (or localhost) is a
 * client mistake we can name before anything runs. Names are checked again, on every connection,
 * by the worker's outbound client, which is the check that actually holds.
 */
import type { RenderRequest, ValidationDetail } from './request';
import { refusedLiteralHost } from './url-policy';

/** Every URL field of the deck whose host is refused, with its path (`slides.0.imageUrl`, `webhookUrl`). */
export function refusedUrlFields(request: RenderRequest): ValidationDetail[] {
  const out: ValidationDetail[] = [];
  const check = (path: string, url: string | undefined) => {
    if (url && refusedLiteralHost(url)) {
      out.push({ path, message: 'the host is a loopback, private or reserved address, which this service does not contact' });
    }
  };
  request.slides.forEach((slide, i) => {
    check(`slides.${i}.imageUrl`, slide.imageUrl);
    check(`slides.${i}.audioUrl`, slide.audioUrl);
  });
  check('webhookUrl', request.webhookUrl);
  return out;
}
