// vitest: every test under test/; forks, because the native tree-sitter addon is not safe in worker-thread pools.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
