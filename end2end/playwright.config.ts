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

const ORGS_REQUIRED = {
  VESTIBULE_ORGANIZATIONS__ENABLED: 'true',
  VESTIBULE_ORGANIZATIONS__ALLOW_PERSONAL_ACCOUNTS: 'false',
};

/** A Vestibule instance for the specs: the release binary, run from the project root. */
function server(name: string, port: number, settings: Record<string, string>) {
  const db = `target/e2e-${name}.db`;
  return {
    command: `rm -f ${db} ${db}-wal ${db}-shm && target/release/vestibule --config end2end/e2e.toml`,
    cwd: '..',
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    env: {
      DATABASE_URL: `sqlite://${db}`,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: 'target/site',
      RUST_LOG: 'warn',
      ...settings,
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
  // One instance per configuration the specs need, each on its own port with a fresh database.
  // Settings beyond end2end/e2e.toml come as VESTIBULE_<SECTION>__<KEY> overrides.
  webServer: [
    server('main', 3100, {}),
    server('orgs', 3101, ORGS_REQUIRED),
    server('orgs-closed', 3102, { ...ORGS_REQUIRED, VESTIBULE_ORGANIZATIONS__CREATION_ENABLED: 'false' }),
    server('mfa', 3103, { VESTIBULE_MFA__REQUIRED: 'true' }),
    server('trust', 3105, { VESTIBULE_CLIENT_TRUST__ENABLED: 'true' }),
    server('multi', 3106, { VESTIBULE_SESSIONS__MULTI_SESSION: 'true' }),
    server('orgs-multi', 3107, {
      VESTIBULE_ORGANIZATIONS__ENABLED: 'true',
      VESTIBULE_SESSIONS__MULTI_SESSION: 'true',
    }),
    server('task-urls', 3104, {
      ...ORGS_REQUIRED,
      VESTIBULE_APP__TASK_URLS: '{ "choose-organization" = "/onboarding/choose-organization" }',
    }),
  ],
});
