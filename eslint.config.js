import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/backend-web/demo/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: {
      // core runs in browsers: no Node built-ins.
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'path', 'os', 'sharp', 'onnxruntime-node'] }],
    },
  },
  {
    files: ['packages/datasets/src/**/*.ts', 'packages/eval/src/**/*.ts'],
    rules: {
      // Importing (or installing) datasets or eval brings no backend: their file I/O comes from @aaclip/node-io.
      'no-restricted-imports': ['error', {
        paths: [{ name: '@aaclip/backend-node', message: "import '@aaclip/node-io' (no runtime, registers nothing)" }],
        patterns: [
          { group: ['@aaclip/backend-node/*'], message: "import '@aaclip/node-io' (datasets and eval do not depend on backend-node)" },
          { group: ['onnxruntime-*', '@aaclip/backend-web'], message: 'datasets and eval use no runtime' },
        ],
      }],
    },
  },
  {
    files: ['packages/node-io/src/**/*.ts'],
    rules: {
      // node-io depends on core and sharp only: no runtime, no backend.
      'no-restricted-imports': ['error', { patterns: ['onnxruntime-*', '@aaclip/backend-*', '@aaclip/datasets', '@aaclip/eval', '@aaclip/train', '@aaclip/cli'] }],
    },
  },
  {
    files: ['packages/eval/src/browser.ts', 'packages/eval/src/metrics/**/*.ts', 'packages/eval/src/protocol/**/*.ts', 'packages/eval/src/report/**/*.ts'],
    ignores: ['packages/eval/src/report/pngEncoding.ts', 'packages/eval/src/report/writeReports.ts'],
    rules: {
      // eval's browser entry (metrics, protocol, heatmaps, report rendering) runs in browsers: nothing Node-only.
      'no-restricted-imports': ['error', { patterns: ['node:*', 'fs', 'path', 'os', 'crypto', 'sharp', 'onnxruntime-*', '@aaclip/backend-*', '@aaclip/node-io', '@aaclip/datasets', '../run/*', './run/*', '**/pngEncoding.js', '**/writeReports.js'] }],
    },
  },
);
