/**
 * The web app's build: web/ → dist/web/ (git-ignored), served by the API at `/` (api/web.ts).
 * JSX through Vite's own transform (oxc), React's automatic runtime.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'web',
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  // One chunk of about 550 kB (React and Chart.js, 170 kB gzipped): no lazy loading for a handful of pages.
  build: { outDir: '../dist/web', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 800 },
  // `npm run web:dev`: the app with reloads, its API calls passed to the API of `npm start`.
  server: { proxy: { '/v1': 'http://127.0.0.1:3000', '/health': 'http://127.0.0.1:3000' } },
  logLevel: 'warn',
});
