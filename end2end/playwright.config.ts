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

/** The encryption key every test server seals its secrets with (README, "Encryption at rest"):
 * one key for all, since several instances share databases. For these tests only. */
const E2E_ENCRYPTION_KEY = 'mB0C1Zl2mTq3vJf8p4QhX6yN9rEoKs7aWdUgLc5iYtM=';

/** The PostgreSQL server the PostgreSQL runs create their databases on. */
const PG_ADMIN = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ENGINE = process.env.E2E_ENGINE ?? 'sqlite';
if (ENGINE !== 'sqlite' && ENGINE !== 'postgres') {
  throw new Error(`E2E_ENGINE: unknown engine ${ENGINE} (expected sqlite or postgres)`);
}

/** `psql` commands that make `database` fresh and empty. */
function freshPg(database: string): string {
  return `psql '${PG_ADMIN}' -qX -c 'DROP DATABASE IF EXISTS ${database} WITH (FORCE)' -c 'CREATE DATABASE ${database}'`;
}

function pgUrl(database: string): string {
  const url = new URL(PG_ADMIN);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The shell command and DATABASE_URL that give `server` its fresh database. */
function database(server: Server): { prepare: string; url: string } {
  if (server.shared) {
    const { database, creates } = server.shared;
    const leader = Object.values(SERVERS).find((s) => s.shared?.database === database && s.shared.creates);
    // The others start once the creating instance listens (its migrations are applied then).
    const wait = `bash -c 'until (exec 3<>/dev/tcp/127.0.0.1/${leader!.port}) 2>/dev/null; do sleep 0.2; done'`;
    return { prepare: creates ? freshPg(database) : wait, url: pgUrl(database) };
  }
  if (ENGINE === 'postgres') {
    const name = `e2e_${server.name.replace(/-/g, '_')}`;
    return { prepare: freshPg(name), url: pgUrl(name) };
  }
  const db = `target/e2e-${server.name}.db`;
  return { prepare: `rm -f ${db} ${db}-wal ${db}-shm`, url: `sqlite://${db}` };
}

/** A server of tests/servers.ts: its release binary, run from the project root. */
function webServer(server: Server) {
  const { prepare, url } = database(server);
  return {
    command: `${prepare} && exec ${server.binary} --config ${server.config} --allow-testing-endpoints`,
    cwd: '..',
    url: `${base(server)}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    env: {
      DATABASE_URL: url,
      LEPTOS_SITE_ADDR: `127.0.0.1:${server.port}`,
      LEPTOS_SITE_ROOT: server.siteRoot,
      // Warnings, and a request whose client cookie names no client (a cookie that should have
      // been replaced): shown beside a failing test.
      RUST_LOG: 'warn,vestibule::server::client=info',
      VESTIBULE_ENCRYPTION_KEY: E2E_ENCRYPTION_KEY,
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
