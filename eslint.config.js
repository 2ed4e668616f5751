// @ts-check
import { dirname, relative, resolve } from 'node:path';
import tseslint from 'typescript-eslint';

/**
 * The layers, by top-level directory: what each may import. What runs in Google Cloud (functions/, the bake steps,
 * the load-test job) never reaches into the CLI, the local stack or the tests; shared/ is the code they share.
 */
const LAYERS = {
  shared: ['shared'],
  functions: ['shared'],
  'bake-steps': ['shared'],
  loadtest: ['shared'],
  operator: ['shared', 'loadtest'],
  local: ['shared', 'functions', 'bake-steps', 'loadtest', 'operator'],
  cli: ['shared', 'functions', 'bake-steps', 'loadtest', 'operator', 'local'],
};
const root = import.meta.dirname;

/** @type {import('eslint').Rule.RuleModule} */
const layers = {
  meta: {
    type: 'problem',
    schema: [],
    messages: { cross: '{{from}}/ may not import {{to}}/ (layers: eslint.config.js)' },
  },
  create(context) {
    const from = relative(root, context.filename).split('/')[0] ?? '';
    const allowed = LAYERS[/** @type {keyof typeof LAYERS} */ (from)];
    if (!allowed) return {};
    /** @param {import('estree').Node & { source?: unknown }} node */
    const check = (node) => {
      const source = /** @type {{ value?: unknown } | null | undefined} */ (node.source);
      if (typeof source?.value !== 'string' || !source.value.startsWith('.')) return;
      const to = relative(root, resolve(dirname(context.filename), source.value)).split('/')[0] ?? '';
      if (to !== from && !allowed.includes(to)) context.report({ node, messageId: 'cross', data: { from, to } });
    };
    return {
      ImportDeclaration: check,
      ImportExpression: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.modelship/', '.sdk/'] },
  ...tseslint.configs.recommended,
  {
    plugins: { modelship: { rules: { layers } } },
    rules: {
      'modelship/layers': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['cli/**', 'bench/**', 'local/**', 'test/**', 'loadtest/outputs/**'],
    rules: { 'no-console': 'off' },
  },
);
