import { createHmac } from 'crypto';
import { test as base, expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';

export { expect };

/** Backend API key from end2end/e2e.toml. */
export const SECRET_KEY = 'sk_test_e2e_0123456789abcdef';
export const BASE_URL = 'http://127.0.0.1:3100';

/**
 * `test` with a `js` fixture: true in the "js" project, false in "nojs".
 * Derived from Playwright's own `javaScriptEnabled` option, so it always matches the browser context.
 */
export const test = base.extend<{ js: boolean }>({
  js: async ({ javaScriptEnabled }, use) => {
    await use(javaScriptEnabled !== false);
  },
});

// ---------------------------------------------------------------------------------------------
// Data

function random(): string {
  return Math.random().toString(36).slice(2, 10);
}

/** A fresh, never-used email address (the database is shared by all tests of a run). */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${random()}@example.com`;
}

/** A strong password that is in no common/breached list. */
export function strongPassword(): string {
  return `Str0ng-${random()}-pass`;
}

/** A 6-digit code that differs from `code`. */
export function wrongCode(code: string): string {
  return code === '000000' ? '111111' : '000000';
}

export interface User {
  id: string;
  email: string;
  [key: string]: unknown;
}

/** Creates a user through the Backend API (README, "Backend API"), email verified. */
export async function createUser(
  request: APIRequestContext,
  user: { email: string; password?: string; [key: string]: unknown },
  base: string = BASE_URL,
): Promise<User> {
  const response = await request.post(`${base}/v1/users`, {
    headers: { Authorization: `Bearer ${SECRET_KEY}` },
    data: { email_verified: true, ...user },
  });
  expect([200, 201], `POST /v1/users: ${response.status()} ${await response.text()}`).toContain(
    response.status(),
  );
  return (await response.json()) as User;
}

export interface OutboxMessage {
  to: string;
  channel: 'email' | 'sms';
  subject: string;
  body: string;
  code: string | null;
  sent_at: string;
}

/** The testing outbox for one recipient, newest first (a testing endpoint). */
export async function outbox(
  request: APIRequestContext,
  to: string,
  base: string = BASE_URL,
): Promise<OutboxMessage[]> {
  const response = await request.get(`${base}/__testing/outbox?to=${encodeURIComponent(to)}`);
  expect(response.status(), `GET /__testing/outbox: ${await response.text()}`).toBe(200);
  return (await response.json()) as OutboxMessage[];
}

/**
 * The newest code sent to `to`. Delivery is asynchronous, so this polls for up to ~5 s.
 * `exclude` lists codes already used in the test, so an older message is never mistaken for the new one.
 */
export async function latestCode(
  request: APIRequestContext,
  to: string,
  options: { exclude?: string[]; timeoutMs?: number; base?: string } = {},
): Promise<string> {
  const exclude = options.exclude ?? [];
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  for (;;) {
    const messages = await outbox(request, to, options.base);
    const withCode = messages.find((m) => m.code !== null && m.code !== undefined && m.code !== '');
    if (withCode && !exclude.includes(withCode.code as string)) {
      return withCode.code as string;
    }
    if (Date.now() > deadline) {
      throw new Error(`no new code in the outbox for ${to} (messages: ${JSON.stringify(messages)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// ---------------------------------------------------------------------------------------------
// Page helpers (role / label / text locators only)

function jsEnabled(): boolean {
  return test.info().project.use.javaScriptEnabled !== false;
}

/**
 * With JavaScript on, waits until the page has hydrated: before that, a click on a link or a form
 * is the browser's (a page load), not the app's.
 */
export async function hydrated(page: Page): Promise<void> {
  if (jsEnabled()) {
    await expect(page.locator('[data-hydrated="true"]').first()).toBeAttached();
  }
}

/** Makes the user's sessions verified an hour ago (testing endpoint), so the next sensitive
 * action asks for a verification again. */
export async function ageVerification(request: APIRequestContext, email: string, on: string = BASE_URL): Promise<void> {
  const response = await request.post(`${on}/__testing/age-verification`, {
    data: { email, seconds: 3600 },
  });
  expect(response.status(), await response.text()).toBe(200);
}

/** Navigates to `url`; with JavaScript on, waits until the app has hydrated. */
export async function open(page: Page, url: string): Promise<void> {
  await page.goto(url);
  if (jsEnabled()) {
    await expect(page.locator('[data-hydrated="true"]').first()).toBeAttached();
  }
}

/** A control that navigates may be a link or a button; the tests accept either. */
export function action(page: Page, name: string): Locator {
  return page
    .getByRole('button', { name, exact: true })
    .or(page.getByRole('link', { name, exact: true }));
}

export async function clickAction(page: Page, name: string): Promise<void> {
  await action(page, name).click();
}

export function field(page: Page, label: string): Locator {
  return page.getByLabel(label, { exact: true });
}

export function heading(page: Page, name: string): Locator {
  return page.getByRole('heading', { name, exact: true, level: 1 });
}

/** The form error (role="alert") carrying `sentence`. */
export function alert(page: Page, sentence: string): Locator {
  return page.getByRole('alert').filter({ hasText: sentence });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The <dd> that follows the <dt> whose text is exactly `term` in the dashboard's description list
 * (the dashboard's facts are a `dl` by design, so this is the one structural locator).
 */
export function dd(page: Page, term: string): Locator {
  return page
    .locator('dt')
    .filter({ hasText: new RegExp(`^\\s*${escapeRegExp(term)}\\s*$`) })
    .locator('xpath=following-sibling::dd[1]');
}

/** The text of the <dd> for `term` (waits for it to be visible first). */
export async function ddText(page: Page, term: string): Promise<string> {
  const value = dd(page, term);
  await expect(value).toBeVisible();
  return ((await value.textContent()) ?? '').trim();
}

/** The URL `path` on `base`, with any query. */
export function at(base: string, path: string): RegExp {
  return new RegExp(`^${escapeRegExp(base + path)}(\\?.*)?$`);
}

/** The "Continue" button of a step. */
export function continueButton(page: Page): Locator {
  return page.getByRole('button', { name: 'Continue', exact: true });
}

/** Signs in with a password on `base` from its /sign-in page; the caller asserts where it lands. */
export async function passwordSignIn(page: Page, base: string, email: string, password: string): Promise<void> {
  await test.step(`password sign-in as ${email}`, async () => {
    await open(page, `${base}/sign-in`);
    await field(page, 'Email address').fill(email);
    await field(page, 'Password').fill(password);
    await continueButton(page).click();
  });
}

export const URLS = {
  home: /^http:\/\/127\.0\.0\.1:3100\/(\?.*)?$/,
  dashboard: /^http:\/\/127\.0\.0\.1:3100\/dashboard(\?.*)?$/,
  signIn: /^http:\/\/127\.0\.0\.1:3100\/sign-in(\?.*)?$/,
  factorOne: /\/sign-in\/factor-one(\?.*)?$/,
  resetPassword: /\/sign-in\/reset-password(\?.*)?$/,
  verifyEmail: /\/sign-up\/verify-email-address(\?.*)?$/,
};

// ---------------------------------------------------------------------------------------------
// Flows

/** Fills the /sign-in first screen (the page must already be open) and submits it. */
export async function submitSignIn(page: Page, email: string, password: string): Promise<void> {
  await expect(heading(page, 'Sign in')).toBeVisible();
  await field(page, 'Email address').fill(email);
  await field(page, 'Password').fill(password);
  await page.getByRole('button', { name: 'Continue', exact: true }).click();
}

/** Signs in with a password from /sign-in and waits for the dashboard. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await test.step(`sign in as ${email}`, async () => {
    await open(page, '/sign-in');
    await submitSignIn(page, email, password);
    await expect(page).toHaveURL(URLS.dashboard);
    await expect(heading(page, 'Dashboard')).toBeVisible();
    if (jsEnabled()) {
      await expect(page.locator('[data-hydrated="true"]').first()).toBeAttached();
    }
  });
}

/** Submits the /sign-in first screen (already open) of the server at `base` and waits for its
 * dashboard. */
export async function signInOn(page: Page, base: string, email: string, password: string): Promise<void> {
  await test.step(`sign in as ${email}`, async () => {
    await submitSignIn(page, email, password);
    await expect(page).toHaveURL(at(base, '/dashboard'));
    // (The hosted sign-in is an island: it reaches the dashboard with a page load.)
    if (jsEnabled()) {
      await expect(page.locator('[data-hydrated="true"]').first()).toBeAttached();
    }
  });
}

/** The UserButton opener: a <summary> (no implicit role) or a button, named "Open user menu". */
export function userMenu(page: Page): Locator {
  const name = 'Open user menu';
  return page
    .getByRole('button', { name, exact: true })
    .or(page.getByLabel(name, { exact: true }))
    .or(page.getByText(name, { exact: true }))
    .first();
}

/** Signs out through the UserButton on the current page and waits for the home page. */
export async function signOut(page: Page): Promise<void> {
  await test.step('sign out', async () => {
    await userMenu(page).click();
    await clickAction(page, 'Sign out');
    await expect(page).toHaveURL(URLS.home);
    await expect(page.getByText('You are signed out')).toBeVisible();
  });
}

/** Signs out through the UserButton on the current page of the server at `base` and waits for
 * its home page. */
export async function signOutOn(page: Page, base: string): Promise<void> {
  await test.step('sign out', async () => {
    await userMenu(page).click();
    await clickAction(page, 'Sign out');
    await expect(page).toHaveURL(at(base, '/'));
  });
}

/** The OrganizationSwitcher opener, named "Open organization menu". */
export function orgMenu(page: Page): Locator {
  const name = 'Open organization menu';
  return page
    .getByRole('button', { name, exact: true })
    .or(page.getByLabel(name, { exact: true }))
    .first();
}

// ---------------------------------------------------------------------------------------------
// Backend API and TOTP helpers for the task tests

/** POSTs JSON to the Backend API of the server at `base`. */
export async function backend(
  request: APIRequestContext,
  base: string,
  path: string,
  data?: unknown,
): Promise<any> {
  const response = await request.post(`${base}${path}`, {
    headers: { Authorization: `Bearer ${SECRET_KEY}` },
    data,
  });
  expect(response.status(), `POST ${path}: ${await response.text()}`).toBe(200);
  return response.json();
}

function base32Decode(input: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const c of input.replace(/=+$/, '').toUpperCase()) {
    const index = alphabet.indexOf(c);
    if (index < 0) throw new Error(`not base32: ${c}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 secret at `time` (ms). */
export function totp(secret: string, time: number = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(time / 1000 / 30)));
  const mac: Buffer = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return code.toString().padStart(6, '0');
}
