import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // process.env is read in exactly one place: the config module.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through src/platform/config.' }],
    },
  },
  {
    files: ['src/platform/config/**', 'test/**', '**/*.test.ts', 'bench/**', 'scripts/**', '*.config.js'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
