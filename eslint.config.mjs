// Lint for the TypeScript (npm run lint). Formatting is prettier's (.prettierrc.json).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['build/', 'dist/', 'node_modules/', 'src/spec/generated/', 'bench/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        require: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        NodeJS: 'readonly',
        SharedArrayBuffer: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: {
      // config.json and process.json are untyped documents until validated: `any` is honest there.
      '@typescript-eslint/no-explicit-any': 'off',
      // The addon, the validators and child_process are loaded lazily, where first needed (startup time).
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
);
