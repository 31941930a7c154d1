/**
 * Node flags of every worker process: `npm start` and the bench pass these, and package.json's
 * `npm run worker` (the production command) spells out the same. Without a heap cap V8 collects
 * lazily on a large machine, and the worker's RSS swung to 730 MB with 3,000 deliveries waiting;
 * capped, it stayed at 434 MB (docs/performance.md). The young generation is capped too (8 MB
 * semi-spaces instead of 16): it is per V8 heap, and the worker has two (the main thread's and the
 * workflow thread's); 24 MB less with 5,000 waiting, at the same end-to-end rate.
 */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=256', '--max-semi-space-size=8'];

/**
 * Environment of every worker process, under the caller's own (a MALLOC_ARENA_MAX set by the
 * operator wins): `npm start`, the bench and the drills pass it, and package.json's `npm run worker`
 * (the Docker image's and docker-compose's command) spells out the same as a default. glibc gives
 * each thread that allocates an arena of its own, up to 8 per core: the worker's 18 threads (the SDK
 * core's Rust threads, the workflow thread, V8's and libuv's) held 15 arenas and 95 MB of them with
 * 5,000 deliveries waiting; with 2 arenas, 44 MB (docs/performance.md).
 */
export const WORKER_ENV: Record<string, string> = { MALLOC_ARENA_MAX: '2' };
