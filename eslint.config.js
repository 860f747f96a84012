import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', '.tmp/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        // Configuration is validated once (src/config); nothing else reads the environment.
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'Read settings from the validated config, not process.env.' },
      ],
    },
  },
  {
    files: ['src/cli/main.ts', 'test/**', 'bench/**', 'vitest.config.ts', 'scripts/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
