import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256=';

/**
 * Checks GitHub's `X-Hub-Signature-256` (HMAC-SHA256 of the raw body) against each accepted secret, in constant
 * time. Several secrets let a rotation run without dropping deliveries: the new one and the previous one.
 */
export function verifySignature(rawBody: Uint8Array, header: string | undefined, secrets: readonly string[]): boolean {
  if (!header?.startsWith(PREFIX)) return false;
  const given = Buffer.from(header.slice(PREFIX.length), 'hex');
  if (given.length !== 32) return false;
  let ok = false;
  for (const secret of secrets) {
    if (!secret) continue;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    // No early exit: the time taken does not tell which secret matched.
    ok = timingSafeEqual(given, expected) || ok;
  }
  return ok;
}

/** The header value GitHub would send for this body and secret. */
export function signBody(rawBody: Uint8Array | string, secret: string): string {
  return PREFIX + createHmac('sha256', secret).update(rawBody).digest('hex');
}
