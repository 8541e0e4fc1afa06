import { defineConfig } from 'vitest/config';

// Node-side tests: the core engine on the wasm/cpu backends. Browser tests live in e2e/ (Playwright).
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
