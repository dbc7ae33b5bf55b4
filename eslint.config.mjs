// @ts-check
import { defineConfig, globalIgnores } from 'eslint/config';
import { builtinRules } from 'eslint/use-at-your-own-risk';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * ESLint's own recommended set ("eslint:recommended"), read from the rules' metadata: the same list that
 * @eslint/js ships, without adding that package.
 */
const eslintRecommended = {
  name: 'conveyor/eslint-recommended',
  rules: Object.fromEntries(
    [...builtinRules].filter(([, rule]) => rule.meta?.docs?.recommended).map(([name]) => [name, 'error']),
  ),
};

const TS_FILES = ['{src,libs,test,migrations}/**/*.ts'];

export default defineConfig(
  globalIgnores(['dist/', 'node_modules/', 'coverage/', 'bench/results/', 'artifacts/']),

  // Config files and scripts at the root (this file, future bench/ or tooling scripts).
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [eslintRecommended],
    languageOptions: { globals: { ...globals.node } },
  },

  // The TypeScript code, with type information (the tsconfig.json project covers all four folders).
  {
    files: TS_FILES,
    extends: [eslintRecommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // NestJS idioms: decorated empty module classes, interface + class merging in DTOs and entities.
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unsafe-declaration-merging': 'off',
      // Nest compares numeric statuses with the HttpStatus enum everywhere (`status === HttpStatus.NOT_FOUND`).
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
    },
  },

  // main.ts and preflight.ts load modules late on purpose (after the configuration and backends are checked);
  // so does the e2e app factory (the test's environment must be in place before the module graph loads).
  {
    files: ['src/main.ts', 'src/preflight.ts', 'libs/testing/src/create-test-app.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },

  // Tests: jest globals, and fakes that are plain objects cast to the real types.
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts', 'libs/testing/**/*.ts'],
    languageOptions: { globals: { ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // `expect(repo.save).toHaveBeenCalledWith(...)` passes a method by reference on purpose.
      '@typescript-eslint/unbound-method': 'off',
    },
  },

  // Formatting is Prettier's (`prettier --check` in `npm run lint`): switch off every stylistic rule.
  prettier,
);
