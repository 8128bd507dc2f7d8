// Jest runs our TypeScript as native ES modules (node --experimental-vm-modules, see the
// "test" script) so ESM-only dependencies (jose, oidc-provider, uuid) load untransformed;
// swc strips the types, which keeps the suite fast.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'es6' } }],
  },
  // Sources import siblings as './x.js' (NodeNext); jest must find the .ts file.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts', '<rootDir>/tools/**/*.test.ts'],
  testTimeout: 30000,
  maxWorkers: 2,
};
