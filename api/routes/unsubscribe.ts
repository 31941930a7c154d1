/**
 * One-click unsubscribe (RFC 8058), no API key: the signed token of the List-Unsubscribe header is the
 * proof. `GET /u/<token>` only shows a confirmation page with a button (link scanners follow GETs, so
 * a GET never unsubscribes); `POST /u/<token>` (the mailbox provider's one-click POST, body
 * `List-Unsubscribe=One-Click`, or the page's button) unsubscribes the delivery's contact. These
 * answer HTML, so they are plain Express handlers outside the JSON route table; `unsubscribeOpenApi`
 * describes them in the OpenAPI document.
 */
import express, { type Response, type Router } from 'express';
import type { Db } from '../../db/connection';
import * as deliveries from '../../db/deliveries';
import { deliveryOfToken } from '../../inbound/unsubscribe-token';
import { ApiError } from '../errors';

export type UnsubscribeDeps = { db: Db; secret: string };

/** The form body is one short field; nothing larger is read. */
const formParser = express.urlencoded({ extended: false, limit: '2kb' });

export function unsubscribeRouter({ db, secret }: UnsubscribeDeps): Router {
  const router = express.Router();

  router.get('/u/:token', async (req, res) => {
    const token = req.params.token;
    const deliveryId = deliveryOfToken(token, secret);
    const r = deliveryId === null ? undefined : await deliveries.recipientOf(db, deliveryId);
    if (!r) return void page(res, 404, 'Not found', '<p>This unsubscribe link is not valid.</p>');
    if (r.status === 'unsubscribed')
      return void page(res, 200, 'Unsubscribed', `<p>${escapeHtml(mask(r.email))} is unsubscribed.</p>`);
    page(
      res,
      200,
      'Unsubscribe',
      `<p>Unsubscribe ${escapeHtml(mask(r.email))} from these emails?</p>\n` +
        `<form method="post" action="/u/${escapeHtml(encodeURIComponent(token))}">` +
        `<input type="hidden" name="List-Unsubscribe" value="One-Click">` +
        `<button type="submit">Unsubscribe</button></form>`,
    );
  });

  router.post('/u/:token', formParser, async (req, res) => {
    const deliveryId = deliveryOfToken(req.params.token, secret);
    const done = deliveryId === null ? undefined : await deliveries.unsubscribeRecipient(db, deliveryId);
    if (!done) throw new ApiError('not_found', 'No such unsubscribe link.');
    page(res, 200, 'Unsubscribed', `<p>You are unsubscribed: ${escapeHtml(mask(done.email))}.</p>`);
  });

  return router;
}

/** `ann@ok.test` → `a***@ok.test`: enough to recognise one's address, not to harvest it. */
export function mask(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function page(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Robots-Tag': 'noindex',
      'Content-Security-Policy': "default-src 'none'; form-action 'self'",
    })
    .send(
      `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
        `<meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${escapeHtml(title)}</title></head>\n<body>\n<h1>${escapeHtml(title)}</h1>\n${body}\n</body></html>\n`,
    );
}

const HTML = { 'text/html': { schema: { type: 'string' } } };
const ERROR = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
const TOKEN_PARAM = [
  {
    name: 'token',
    in: 'path',
    required: true,
    description: 'The signed token of the List-Unsubscribe header',
    schema: { type: 'string' },
  },
];

/** The OpenAPI entries of these routes (no key: `security: []`). */
export const unsubscribeOpenApi = {
  '/u/{token}': {
    get: {
      summary: 'One-click unsubscribe: a confirmation page with a button (a GET never unsubscribes)',
      tags: ['unsubscribe'],
      security: [],
      parameters: TOKEN_PARAM,
      responses: {
        200: { description: 'The confirmation page (HTML)', content: HTML },
        404: { description: 'A forged or altered token, or one naming no delivery (HTML)', content: HTML },
      },
    },
    post: {
      summary: 'One-click unsubscribe (RFC 8058): the delivery’s contact becomes unsubscribed; idempotent',
      tags: ['unsubscribe'],
      security: [],
      parameters: TOKEN_PARAM,
      requestBody: {
        required: false,
        content: {
          'application/x-www-form-urlencoded': {
            schema: {
              type: 'object',
              properties: { 'List-Unsubscribe': { type: 'string', const: 'One-Click' } },
            },
          },
        },
      },
      responses: {
        200: { description: 'Unsubscribed, now or before (HTML)', content: HTML },
        404: { description: 'A forged or altered token, or one naming no delivery', content: ERROR },
        413: { description: 'Request body too large', content: ERROR },
        503: { description: 'The database is unavailable; nothing was changed', content: ERROR },
      },
    },
  },
};
