// Three projects: `unit` (pure, *.spec.ts), `integration` (*.int-spec.ts, real Kafka, MariaDB and Redis) and
// `faults` (*.faults-spec.ts: the long fault-injection suites, run only by `npm run test:faults`; see docs/operations.md).
const { compilerOptions } = require('./tsconfig.base.json');

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [
    `^${alias.replace('/', '\\/')}$`,
    `<rootDir>/${target}`,
  ]),
);

const swc = [
  '@swc/jest',
  {
    swcrc: false,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/tools'],
};

const faults = process.env.RUN_FAULTS === '1';

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/*.int-spec.ts'],
      globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
      slowTestThreshold: 30,
    },
    // Only in `npm run test:faults` (RUN_FAULTS=1): the default run (CI, npm test) leaves these out.
    ...(faults
      ? [
          {
            ...common,
            displayName: 'faults',
            testMatch: ['**/*.faults-spec.ts'],
            globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
          },
        ]
      : []),
  ],
};
