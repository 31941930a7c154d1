/**
 * The web app's build: web/ → dist/web/ (git-ignored), served by the API at `/` (api/web.ts).
 * JSX through Vite's own transform (oxc), React's automatic runtime.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'web',
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: '../dist/web', emptyOutDir: true, sourcemap: true },
  // `npm run web:dev`: the app with reloads, its API calls passed to the API of `npm start`.
  server: { proxy: { '/v1': 'http://127.0.0.1:3000', '/health': 'http://127.0.0.1:3000' } },
  logLevel: 'warn',
});
