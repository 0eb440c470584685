/**
 * Lint: typescript-eslint (recommended, without type information so it stays quick on two cores),
 * eslint-plugin-vue for the components, and the architecture's import rules (eslint/architecture.mjs
 * and the renderer's type-only access to the contract). Formatting is Prettier's (.prettierrc.json);
 * eslint-config-style rules that Prettier owns are not enabled here.
 * Chosen over Biome because Biome's Vue support covers only the script part of components, and the
 * architecture rule needs ESLint's plugin API.
 */
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import globals from 'globals'
import architecture from './eslint/architecture.mjs'

export default tseslint.config(
  { ignores: ['out/**', 'release/**', 'dist/**', 'node_modules/**', 'test-output/**', 'bench-output/**', 'coverage/**', 'resources/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } }
  },
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }]
    }
  },
  {
    // TypeScript checks names itself (and knows the DOM and Node types); no-undef only misreads them.
    files: ['**/*.ts', '**/*.vue'],
    rules: { 'no-undef': 'off' }
  },
  {
    files: ['src-main/**/*.ts'],
    plugins: { architecture },
    rules: { 'architecture/layers': 'error' }
  },
  {
    files: ['src-renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^@contract/(?!wire/)',
              allowTypeImports: true,
              message: 'The renderer takes the contract as types only (values reach it through the API); only @contract/wire/* runs on both ends.'
            },
            { group: ['**/src-main/**', '../../src-main/*'], message: 'The renderer reaches src-main only through the @contract alias.' }
          ]
        }
      ]
    }
  }
)
