/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type-checking is `npm run typecheck`; here ts-jest only transpiles, which keeps the suite fast.
  transform: { '^.+\\.ts$': 'ts-jest' },
  // Starts embedded PostgreSQL and locates the Temporal test server once for the whole run.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Workflow tests bundle workflow code and start a test server: generous on a slow shared machine.
  testTimeout: 120_000,
  maxWorkers: 2,
};
