/** Jest: TypeScript tests of the extension, in jsdom. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/labextension/src'],
  setupFiles: ['<rootDir>/labextension/src/__tests__/setup.js'],
  testRegex: '__tests__/.*\\.spec\\.ts$',
  moduleNameMapper: { '\\.(css)$': '<rootDir>/labextension/src/__tests__/style-mock.js' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: { types: ['jest', 'node'], esModuleInterop: true, resolveJsonModule: true, module: 'commonjs', strict: true } }]
  }
};
