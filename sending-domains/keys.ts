/**
 * DKIM keys: RSA 2048 generated here, the private half sealed with AES-256-GCM under a key derived
 * from DKIM_ENCRYPTION_KEY before it reaches the database. The seal is bound to its account, domain and
 * selector (additional data), so a sealed key copied onto another row does not open. The private key
 * exists in clear only in the memory of the process that signs or creates it: never in an API
 * answer, a log line or a Temporal payload.
 */
import { createCipheriv, createDecipheriv, generateKeyPair, hkdfSync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

export type DkimKeyPair = {
  /** Base64 of the SubjectPublicKeyInfo: the `p=` of the DKIM TXT record. */
  publicKey: string;
  privateKeyPem: string;
};

const generate = promisify(generateKeyPair);

export async function generateDkimKey(): Promise<DkimKeyPair> {
  const { publicKey, privateKey } = await generate('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKey: publicKey.toString('base64'), privateKeyPem: privateKey };
}

/** Thrown when a sealed key does not open: another DKIM_ENCRYPTION_KEY, or a tampered row. */
export class KeyUnsealError extends Error {
  override name = 'KeyUnsealError';
}

const VERSION = 'v1';
const TAG_BYTES = 16;

function aesKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, '', 'deliverability dkim private key v1', 32));
}

/** `v1.<iv>.<tag>.<ciphertext>`, base64url; `context` names the key's account, domain and selector. */
export function sealPrivateKey(pem: string, secret: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey(secret), iv);
  cipher.setAAD(Buffer.from(context));
  const sealed = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), sealed]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

export function openPrivateKey(sealed: string, secret: string, context: string): string {
  const [version, ivText, tagText, body] = sealed.split('.');
  const iv = Buffer.from(ivText ?? '', 'base64url');
  const tag = Buffer.from(tagText ?? '', 'base64url');
  // A full 16-byte tag only: GCM would accept one cut down to 4 bytes, far easier to forge.
  if (version !== VERSION || iv.length !== 12 || tag.length !== TAG_BYTES || body === undefined)
    throw new KeyUnsealError(`the DKIM key of ${context} is not in a known sealed form`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', aesKey(secret), iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new KeyUnsealError(
      `the DKIM key of ${context} does not open with this DKIM_ENCRYPTION_KEY (another key, or a changed row)`,
    );
  }
}
