/**
 * Node flags of every worker process: `npm start` and the bench pass these, and package.json's
 * `npm run worker` (the production command) spells out the same. Without a heap cap V8 collects
 * lazily on a large machine, and the worker's RSS swung to 730 MB with 3,000 deliveries waiting;
 * capped, it stayed at 434 MB (docs/performance.md).
 */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=256'];
