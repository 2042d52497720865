// The Vestibule instances the specs run against: one per configuration, each on its own port
// with a fresh database — SQLite, or PostgreSQL when E2E_ENGINE=postgres (`make test` runs the
// suite once on each). playwright.config.ts starts them; specs import their addresses.
// Settings beyond end2end/e2e.toml come as VESTIBULE_<SECTION>__<KEY> overrides.

const ORGS_REQUIRED = {
  VESTIBULE_ORGANIZATIONS__ENABLED: 'true',
  VESTIBULE_ORGANIZATIONS__ALLOW_PERSONAL_ACCOUNTS: 'false',
};

const TERMS = { VESTIBULE_SIGN_UP__LEGAL_CONSENT: 'true' };

export interface Server {
  name: string;
  port: number;
  /** The binary and its config, relative to the project root. */
  binary: string;
  config: string;
  siteRoot: string;
  settings: Record<string, string>;
  /** Several instances on one PostgreSQL database, whatever the engine of the run: the name of
   * the database, and whether this instance creates it (the others wait for its port). */
  shared?: { database: string; creates: boolean };
}

function demo(name: string, port: number, settings: Record<string, string> = {}): Server {
  return {
    name,
    port,
    binary: 'target/release/vestibule',
    config: 'end2end/e2e.toml',
    siteRoot: 'target/site',
    settings,
  };
}

export const SERVERS = {
  main: demo('main', 3100),
  orgs: demo('orgs', 3101, ORGS_REQUIRED),
  orgsClosed: demo('orgs-closed', 3102, {
    ...ORGS_REQUIRED,
    VESTIBULE_ORGANIZATIONS__CREATION_ENABLED: 'false',
  }),
  mfa: demo('mfa', 3103, { VESTIBULE_MFA__REQUIRED: 'true' }),
  taskUrls: demo('task-urls', 3104, {
    ...ORGS_REQUIRED,
    VESTIBULE_APP__TASK_URLS: '{ "choose-organization" = "/onboarding/choose-organization" }',
  }),
  trust: demo('trust', 3105, { VESTIBULE_CLIENT_TRUST__ENABLED: 'true' }),
  multi: demo('multi', 3106, { VESTIBULE_SESSIONS__MULTI_SESSION: 'true' }),
  orgsMulti: demo('orgs-multi', 3107, {
    VESTIBULE_ORGANIZATIONS__ENABLED: 'true',
    VESTIBULE_SESSIONS__MULTI_SESSION: 'true',
  }),
  // App-defined tasks (README, "Custom tasks"): an acknowledgement on the hosted page that every
  // user owes, and one on request whose page is the demo app's own.
  custom: demo('custom', 3108, {
    VESTIBULE_TASKS__CUSTOM:
      '[{ key = "accept-dpa", title = "Accept the data processing agreement", ' +
      'description = "We process your data on your behalf under this agreement.", applies = "all_users" }, ' +
      '{ key = "profile-survey", title = "Tell us about your team", url = "/onboarding/profile-survey" }]',
  }),
  // An app of its own that embeds Vestibule (examples/embedded).
  embedded: {
    name: 'embedded',
    port: 3200,
    binary: 'target/release/embedded',
    config: 'examples/embedded/Embedded.toml',
    siteRoot: 'target/site-embedded',
    settings: { VESTIBULE_BACKEND__SECRET_KEY: 'sk_test_e2e_0123456789abcdef' },
  },
  // Two instances behind an imaginary load balancer: one PostgreSQL database, no shared memory.
  instanceA: { ...demo('instance-a', 3300), shared: { database: 'e2e_instances', creates: true } },
  instanceB: { ...demo('instance-b', 3301), shared: { database: 'e2e_instances', creates: false } },
  // The terms change: the same database served with the old version, then with the new one.
  termsOld: {
    ...demo('terms-old', 3302, { ...TERMS, VESTIBULE_SIGN_UP__TERMS_VERSION: '2026-01-01' }),
    shared: { database: 'e2e_terms', creates: true },
  },
  termsNew: {
    ...demo('terms-new', 3303, { ...TERMS, VESTIBULE_SIGN_UP__TERMS_VERSION: '2026-12-01' }),
    shared: { database: 'e2e_terms', creates: false },
  },
};

/** The base URL of a server. */
export function base(server: Server): string {
  return `http://127.0.0.1:${server.port}`;
}
