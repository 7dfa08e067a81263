// Lint: typescript-eslint for the code, Nx module boundaries for the architecture.
// An app never imports another app (each service is its own process, talking over Kafka); libs are tagged
// by kind and may only depend on kinds below them.
const nx = require('@nx/eslint-plugin');
const tseslint = require('typescript-eslint');

const services = ['gateway', 'voice-agent', 'booking', 'billing', 'notification', 'sync', 'simulators', 'console'];

module.exports = [
  { ignores: ['node_modules', 'dist', '.run', '.nx', 'coverage', '**/*.js', '!eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.mts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:infra', 'type:testing'] },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:infra', 'type:testing'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts', 'type:util'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:infra', 'type:testing'] },
            ...services.map((s) => ({ sourceTag: `scope:${s}`, onlyDependOnLibsWithTags: ['scope:shared', `scope:${s}`] })),
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // The Kafka client library is libs/messaging's business alone, so that it can be replaced there (issue 19):
    // services, other libs and tools use its abstractions; tests and benchmarks may still reach kafkajs directly.
    files: ['apps/**/src/**/*.ts', 'libs/**/src/**/*.ts', 'tools/**/*.ts'],
    ignores: ['libs/messaging/src/**', 'libs/testing/src/**', 'tools/bench/**', '**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'kafkajs', message: 'Use @receptionist/messaging (KafkaClient, TopicTail, DeadLetters, consumerLag, …).' }] }],
    },
  },
];
