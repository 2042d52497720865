import { defineConfig } from '@playwright/test';


const launchOptions = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
};

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: 'list',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: 'http://127.0.0.1:3100',
    trace: 'on-first-retry',
  },
  projects: [
    {
      name: 'js',
      use: { javaScriptEnabled: true, launchOptions },
    },
    {
      name: 'nojs',
      use: { javaScriptEnabled: false, launchOptions },
    },
  ],
  webServer: {
    // Fresh database for every run; the binary must already be built (`cargo leptos build --release`).
    command:
      'rm -f target/e2e.db target/e2e.db-wal target/e2e.db-shm && target/release/vestibule --config end2end/e2e.toml',
    cwd: '..',
    url: 'http://127.0.0.1:3100/',
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATABASE_URL: 'sqlite://target/e2e.db',
      LEPTOS_SITE_ADDR: '127.0.0.1:3100',
      LEPTOS_SITE_ROOT: 'target/site',
      RUST_LOG: 'warn',
    },
  },
});
