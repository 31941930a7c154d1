/**
 * The customer's web app (web/, built by `npm ci` into dist/web/): its files, and its index.html for
 * every other page path (the app reads the path itself). Nothing of the API is ever shadowed: `/v1`,
 * `/u`, `/health` and `/assets` paths that match nothing fall through to the API's JSON 404.
 */
import fs from 'node:fs';
import path from 'node:path';
import express from 'express';

export const WEB_APP_DIR = path.join(__dirname, '..', 'dist', 'web');

const NOT_PAGES = /^\/(?:v1|u|health|openapi\.json|assets)(?:\/|$)/;

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
    // A page is what a browser navigates to (it asks for text/html by name); a client that takes
    // anything (`*/*`: curl, fetch, a backend) gets the API's JSON 404 for a path that is no route.
    const asksForHtml = /\btext\/html\b/i.test(req.get('accept') ?? '');
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_PAGES.test(req.path) || !asksForHtml)
      return next();
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
