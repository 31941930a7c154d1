/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The drills of test/drills run real-time outages (a killed worker, a restarted Temporal server):
  // minutes each on a shared 2-core machine, so `npm run drill` runs them, `npm test` does not.
  testPathIgnorePatterns:
    process.env.DRILLS === '1' ? ['/node_modules/'] : ['/node_modules/', '<rootDir>/test/drills/'],
  // Type-checking is `npm run typecheck`; here ts-jest only transpiles, which keeps the suite fast.
  transform: { '^.+\\.ts$': 'ts-jest' },
  // Starts embedded PostgreSQL and locates the Temporal test server once for the whole run.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Workflow tests bundle workflow code and start a test server: generous on a slow shared machine.
  testTimeout: 120_000,
  maxWorkers: 2,
};
