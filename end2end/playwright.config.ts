import { defineConfig } from '@playwright/test';
import * as os from 'node:os';
import * as path from 'node:path';

import { port, shopURL } from './env';

// The tests run against a freshly seeded server on its own port and database.
// Set once by the runner (workers load this file again and inherit it): the smoke test's
// `vitrine smoke` reads the same database.
process.env.E2E_DB_FILE ??= path.join(os.tmpdir(), `vitrine-e2e-${process.pid}.db`);
const dbFile = process.env.E2E_DB_FILE;
process.env.E2E_DATABASE_URL = `sqlite://${dbFile}?mode=rwc`;
const root = path.resolve(__dirname, '..');

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: shopURL,
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  webServer: {
    command: `rm -f ${dbFile}* && ./target/debug/vitrine seed --sample && exec ./target/debug/vitrine serve`,
    cwd: root,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      DATABASE_URL: process.env.E2E_DATABASE_URL,
      VITRINE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: 'target/site',
      RUST_LOG: 'warn',
    },
  },
});
