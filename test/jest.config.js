// In test/ rather than at the top of the repository: the npm scripts name it (`jest -c test/jest.config.js`),
// and package.json could hold it but not share one base between the three projects.

/** ESM-only packages that jest's CommonJS runtime must transform (extend when another appears). */
const ESM_PACKAGES = [
  '@nestjs',
  '@apidevtools',
  'file-type',
  'strtok3',
  'token-types',
  '@tokenizer',
  'uint8array-extras',
  'es-toolkit',
  'path-to-regexp',
];

const base = {
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  moduleNameMapper: { '^@app/(common|contracts|testing|sdk)/(.*)$': '<rootDir>/libs/$1/src/$2' },
  testEnvironment: 'node',
  rootDir: require('node:path').join(__dirname, '..'),
};

/** The e2e and chaos suites: their own database, migrated once, and the test environment. */
const withServices = {
  globalSetup: '<rootDir>/test/global-setup.ts',
  setupFiles: ['<rootDir>/test/setup-env.ts'],
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60000,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'],
    },
    { ...base, ...withServices, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    {
      ...base,
      ...withServices,
      displayName: 'chaos',
      testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
    },
  ],
};
