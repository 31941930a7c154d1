/**
 * The customer's web app (web/, built by `npm ci` into dist/web/): its files, and its index.html for
 * the paths of its pages (the app reads the path itself: web/src/app.tsx). Nothing else is answered
 * here: every other path (`/v1/…`, `/nope`) keeps the API's JSON 404, whatever the client accepts.
 */
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';

export const WEB_APP_DIR = path.join(__dirname, '..', 'dist', 'web');

/** The app's pages: `/`, `/sign-in`, and what lies under its four sections. */
const PAGES = /^\/(?:|sign-in|(?:mailings|contacts|groups|deliveries)(?:\/[^.]*)?)$/;

// The app loads only its own files; React's style attributes need inline styles.
const PAGE_HEADERS = {
  'Cache-Control': 'no-cache',
  'Content-Security-Policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
};

export function webApp(dir = WEB_APP_DIR): express.Router {
  const router = express.Router();
  const index = path.join(dir, 'index.html');
  // Built file names carry a hash of their content: cached for good.
  router.use(
    '/assets',
    express.static(path.join(dir, 'assets'), { immutable: true, maxAge: '1y', index: false }),
  );
  router.use((req, res, next) => {
    // Only the app's own page paths: a client of the API (curl, fetch, a backend) asking for a path
    // that is no route gets the JSON 404 it expects, and `GET /` answers the page to anyone (the
    // banner of `npm start` asks it with fetch).
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !PAGES.test(req.path)) return next();
    if (!fs.existsSync(index)) {
      if (req.path !== '/') return next();
      return void res
        .status(404)
        .type('text')
        .send('The web app is not built: npm run web:build (npm ci and npm start build it).\n');
    }
    res.set(PAGE_HEADERS).sendFile(index);
  });
  return router;
}
