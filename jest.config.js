// Five projects, all run by `npm test` (CI) and one at a time by `npm run test:<project>`:
//   unit         pure code, no server, no global setup;
//   workflow     workflows on the time-skipping test server: mock activities, end-to-end runs, replay;
//   integration  the API over HTTP, the database, SMTP, processes (every other file at the top of test/);
//   drills       test/drills: failures provoked on purpose against real servers;
//   browser      test/browser: the web app in Debian's Chromium (playwright-core) against real servers.
const UNIT = ['classification', 'config', 'database-errors', 'docker-compose', 'email', 'parse-bounce-cli'];
const WORKFLOW = ['delivery', 'delivery-ops', 'mailing'];
const topLevel = (names) => names.map((n) => `<rootDir>/test/${n}.test.ts`);

const base = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  // Type-checking is `npm run typecheck`; here ts-jest only transpiles, which keeps the suite fast.
  transform: { '^.+\\.ts$': 'ts-jest' },
};
// Once per run, for whichever of these projects is selected: PostgreSQL, the Temporal binaries,
// the workflow bundle, a temporary folder removed at the end.
const servers = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', ...topLevel(UNIT)],
    },
    {
      ...base,
      ...servers,
      displayName: 'workflow',
      testMatch: ['<rootDir>/test/workflows/**/*.test.ts', ...topLevel(WORKFLOW)],
    },
    {
      ...base,
      ...servers,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/*.test.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        ...[...UNIT, ...WORKFLOW].map((n) => `/test/${n}\\.test\\.ts$`),
      ],
    },
    { ...base, ...servers, displayName: 'drills', testMatch: ['<rootDir>/test/drills/**/*.test.ts'] },
    { ...base, ...servers, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
  ],
  // Workflow tests start a test server each: generous on a slow shared machine.
  testTimeout: 120_000,
  maxWorkers: 2,
};
