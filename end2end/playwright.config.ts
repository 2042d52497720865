import { defineConfig } from '@playwright/test';
import { SERVERS, base, type Server } from './tests/servers';

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

/** A server of tests/servers.ts: its release binary, run from the project root. */
function webServer(server: Server) {
  const db = `target/e2e-${server.name}.db`;
  return {
    command: `rm -f ${db} ${db}-wal ${db}-shm && ${server.binary} --config ${server.config}`,
    cwd: '..',
    url: `${base(server)}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    env: {
      DATABASE_URL: `sqlite://${db}`,
      LEPTOS_SITE_ADDR: `127.0.0.1:${server.port}`,
      LEPTOS_SITE_ROOT: server.siteRoot,
      RUST_LOG: 'warn',
      ...server.settings,
    },
  };
}

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: 'list',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: base(SERVERS.main),
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
  webServer: Object.values(SERVERS).map(webServer),
});
