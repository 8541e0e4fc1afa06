// End-to-end tests: the built app, served on 127.0.0.1, in real Chromium. On machines with Debian's chromium
// (no Playwright browser download possible) it is used directly; elsewhere Playwright's own browser runs.

import { defineConfig } from '@playwright/test';
import { existsSync } from 'node:fs';

const PORT = Number(process.env.E2E_PORT ?? 4391);
const SYSTEM_CHROMIUM = '/usr/bin/chromium';
/** The build served to the tests; E2E_DIST lets two test runs on one machine keep separate builds. */
const DIST = process.env.E2E_DIST ?? 'dist';

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  // Sized for a slow, loaded machine (a small-preset step has taken 10 s on 2 busy cores): specs wait for events,
  // and these only bound how long an event may take to come.
  timeout: 240_000,
  expect: { timeout: 60_000 },
  // One browser at a time: a training step keeps a core busy, and CI machines may have two.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    viewport: { width: 1440, height: 900 },
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined,
      args: [
        '--no-sandbox',
        '--disable-gpu-sandbox',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--enable-unsafe-webgpu',
      ],
    },
  },
  webServer: {
    command: `npx vite build --outDir ${DIST} --emptyOutDir && npx tsx scripts/serve.ts`,
    env: { PORT: String(PORT), SPARRING_DIST: DIST },
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
