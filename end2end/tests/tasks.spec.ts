import {
  test,
  expect,
  hydrated,
  alert,
  backend,
  clickAction,
  createUser,
  dd,
  field,
  heading,
  latestCode,
  open,
  strongPassword,
  totp,
  uniqueEmail,
  userMenu,
  at,
  continueButton,
  passwordSignIn,
  ageVerification,
} from './fixtures';
import { SERVERS, base } from './servers';
import type { APIRequestContext, Page } from '@playwright/test';

// Session tasks (README, "Session tasks for app developers"), with JavaScript on and off. Each
// instance runs one configuration (see playwright.config.ts).
const MAIN = base(SERVERS.main);
const ORGS = base(SERVERS.orgs);
const ORGS_CLOSED = base(SERVERS.orgsClosed);
const MFA = base(SERVERS.mfa);
const TASK_URLS = base(SERVERS.taskUrls);


async function newUser(request: APIRequestContext, base: string, prefix: string) {
  const email = uniqueEmail(prefix);
  const password = strongPassword();
  const user = await createUser(request, { email, password }, base);
  return { email, password, id: user.id as string };
}

async function expectDashboard(page: Page, base: string, facts: Record<string, string>) {
  await expect(page).toHaveURL(at(base, '/dashboard'));
  await expect(heading(page, 'Dashboard')).toBeVisible();
  // (Reached with a page load from the hosted island: let it hydrate before using its menus.)
  await hydrated(page);
  for (const [term, value] of Object.entries(facts)) {
    await expect(dd(page, term)).toHaveText(value);
  }
}

/** The compromised-password sign-in: the notice, then an email code. */
async function compromisedSignIn(page: Page, request: APIRequestContext, base: string, email: string, password: string) {
  await passwordSignIn(page, base, email, password);
  await expect(page).toHaveURL(at(base, '/sign-in/factor-one'));
  await expect(page.getByText('Your password may be compromised.')).toBeVisible();
  await clickAction(page, 'Email code');
  await field(page, 'Verification code').fill(await latestCode(request, email, { base }));
  await continueButton(page).click();
}

async function resetPassword(page: Page, password: string) {
  await field(page, 'New password').fill(password);
  await field(page, 'Confirm password').fill(password);
  await page.getByRole('button', { name: 'Reset password', exact: true }).click();
}

test.describe('reset-password', () => {
  test('a compromised password is reset before the session is active', async ({ page, request }) => {
    const u = await newUser(request, MAIN, 'compromised');
    await backend(request, MAIN, `/v1/users/${u.id}/password_compromised`);
    await compromisedSignIn(page, request, MAIN, u.email, u.password);

    await expect(page).toHaveURL(at(MAIN, '/sign-in/tasks/reset-password'));
    await expect(heading(page, 'Reset your password')).toBeVisible();
    await expect(page.getByText(`Signed in as ${u.email}`)).toBeVisible();
    await expect(page.getByLabel('Sign out of all other devices')).toBeChecked();

    await test.step('the old password is refused', async () => {
      await resetPassword(page, u.password);
      await expect(alert(page, 'Your new password must be different from your current password.')).toBeVisible();
    });
    await test.step('a breached password is refused', async () => {
      await resetPassword(page, 'password123');
      await expect(alert(page, 'This password has been found as part of a breach')).toBeVisible();
    });
    await test.step('a too-short password is refused', async () => {
      await resetPassword(page, 'short');
      await expect(alert(page, 'Your password must contain 8 or more characters.')).toBeVisible();
    });
    await resetPassword(page, strongPassword());
    await expectDashboard(page, MAIN, { Email: u.email, 'Session status': 'active' });
  });

  test('a session signed in long ago proves itself with an emailed code first', async ({ page, request }) => {
    const u = await newUser(request, MAIN, 'stale-reset');
    await passwordSignIn(page, MAIN, u.email, u.password);
    await expectDashboard(page, MAIN, { 'Session status': 'active' });
    await ageVerification(request, u.email, MAIN);
    await backend(request, MAIN, `/v1/users/${u.id}/password_compromised`);
    await open(page, `${MAIN}/dashboard`);
    await expect(page).toHaveURL(at(MAIN, '/sign-in/tasks/reset-password'));
    const password = strongPassword();
    await resetPassword(page, password);

    // With JavaScript or without, the hosted verification page, then back to the task.
    await expect(page).toHaveURL(at(MAIN, '/user/verify'));
    await expect(heading(page, 'Verify your identity')).toBeVisible();
    await test.step('the password under suspicion is not asked for; an emailed code is', async () => {
      await expect(page.getByLabel('Password', { exact: true })).toHaveCount(0);
      await clickAction(page, 'Email code');
      await field(page, 'Verification code').fill(await latestCode(request, u.email, { base: MAIN }));
      await continueButton(page).click();
    });
    await expect(page).toHaveURL(at(MAIN, '/sign-in/tasks/reset-password'));
    await hydrated(page);
    await resetPassword(page, password);
    await expectDashboard(page, MAIN, { Email: u.email, 'Session status': 'active' });
  });

  test('an active session turns pending when an admin marks the password compromised', async ({ page, request }) => {
    const u = await newUser(request, MAIN, 'turns-pending');
    await passwordSignIn(page, MAIN, u.email, u.password);
    await expectDashboard(page, MAIN, { 'Session status': 'active' });
    await backend(request, MAIN, `/v1/users/${u.id}/password_compromised`);
    await open(page, `${MAIN}/dashboard`);
    await expect(page).toHaveURL(at(MAIN, '/sign-in/tasks/reset-password'));
    await open(page, `${MAIN}/`);
    await expect(page.getByText('You are signed out')).toBeVisible();
    await clickAction(page, 'Finish setting up your account');
    await expect(heading(page, 'Reset your password')).toBeVisible();
  });
});

test.describe('choose-organization', () => {
  test('reset-password, then choose-organization, in order', async ({ page, request }) => {
    const u = await newUser(request, ORGS, 'both-tasks');
    await backend(request, ORGS, `/v1/users/${u.id}/password_compromised`);
    await compromisedSignIn(page, request, ORGS, u.email, u.password);
    await expect(page).toHaveURL(at(ORGS, '/sign-in/tasks/reset-password'));
    await resetPassword(page, strongPassword());

    await expect(page).toHaveURL(at(ORGS, '/sign-in/tasks/choose-organization'));
    await expect(heading(page, 'Set up your organization')).toBeVisible();
    const name = `Org ${Date.now()}`;
    await field(page, 'Name').fill(name);
    await page.getByRole('button', { name: 'Create organization', exact: true }).click();
    await expectDashboard(page, ORGS, { Organization: name, Role: 'org:admin', 'Session status': 'active' });
    await open(page, `${ORGS}/admin`);
    await expect(heading(page, 'Admin')).toBeVisible();
  });

  test('an existing membership is picked by name; a member cannot open /admin', async ({ page, request }) => {
    const admin = await newUser(request, ORGS, 'owner');
    const member = await newUser(request, ORGS, 'member');
    const name = `Acme ${Date.now()}`;
    const org = await backend(request, ORGS, '/v1/organizations', {
      name,
      created_by: admin.id,
      members: [{ user_id: member.id, role: 'org:member' }],
    });
    await passwordSignIn(page, ORGS, member.email, member.password);
    await expect(page).toHaveURL(at(ORGS, '/sign-in/tasks/choose-organization'));
    await expect(heading(page, 'Choose an organization')).toBeVisible();
    await page.getByRole('button', { name, exact: true }).click();
    await expectDashboard(page, ORGS, { Organization: name, 'Organization ID': org.id, Role: 'org:member' });

    const response = await page.goto(`${ORGS}/admin`);
    expect(response?.status()).toBe(404);
    await expect(heading(page, 'Page not found')).toBeVisible();
  });

  test('a new sign-up gets the task at once', async ({ page, request }) => {
    const email = uniqueEmail('org-signup');
    await open(page, `${ORGS}/sign-up`);
    await field(page, 'Email address').fill(email);
    await field(page, 'Password').fill(strongPassword());
    await continueButton(page).click();
    await expect(page).toHaveURL(at(ORGS, '/sign-up/verify-email-address'));
    await field(page, 'Verification code').fill(await latestCode(request, email, { base: ORGS }));
    await continueButton(page).click();
    await expect(page).toHaveURL(at(ORGS, '/sign-in/tasks/choose-organization'));
    await expect(heading(page, 'Set up your organization')).toBeVisible();
  });

  test('a pending user sees the dashboard as signed out', async ({ page, request }) => {
    const u = await newUser(request, ORGS, 'pending');
    await passwordSignIn(page, ORGS, u.email, u.password);
    await expect(page).toHaveURL(at(ORGS, '/sign-in/tasks/choose-organization'));
    await open(page, `${ORGS}/dashboard`);
    await expect(page).toHaveURL(at(ORGS, '/sign-in/tasks/choose-organization'));
    await open(page, `${ORGS}/`);
    await expect(page.getByText('You are signed out')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Finish setting up your account' })).toBeVisible();
  });

  test('with creation disabled and no membership, a dead end with sign-out', async ({ page, request }) => {
    const u = await newUser(request, ORGS_CLOSED, 'lonely');
    await passwordSignIn(page, ORGS_CLOSED, u.email, u.password);
    await expect(page).toHaveURL(at(ORGS_CLOSED, '/sign-in/tasks/choose-organization'));
    await expect(page.getByText('You must belong to an organization')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Create organization' })).toHaveCount(0);
    await clickAction(page, 'Sign out');
    await expect(page).toHaveURL(at(ORGS_CLOSED, '/'));
    await expect(page.getByText('You are signed out')).toBeVisible();
  });

  test('configured task URLs lead to /onboarding and on to the completion URL', async ({ page, request }) => {
    const u = await newUser(request, TASK_URLS, 'onboarding');
    await passwordSignIn(page, TASK_URLS, u.email, u.password);
    await expect(page).toHaveURL(at(TASK_URLS, '/onboarding/choose-organization'));
    await expect(heading(page, 'Set up your organization')).toBeVisible();
    const name = `Onboarded ${Date.now()}`;
    await field(page, 'Name').fill(name);
    await page.getByRole('button', { name: 'Create organization', exact: true }).click();
    await expectDashboard(page, TASK_URLS, { Organization: name, Role: 'org:admin' });
  });
});

test.describe('setup-mfa', () => {
  test('with an authenticator app, then backup codes', async ({ page, request }) => {
    const u = await newUser(request, MFA, 'totp');
    await passwordSignIn(page, MFA, u.email, u.password);
    await expect(page).toHaveURL(at(MFA, '/sign-in/tasks/setup-mfa'));
    await expect(heading(page, 'Set up two-step verification')).toBeVisible();
    await clickAction(page, 'Authenticator app');
    await expect(page.getByRole('img', { name: 'QR code' })).toBeVisible();
    const secret = ((await page.getByLabel('Secret key').textContent()) ?? '').trim();
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);

    await field(page, 'Verification code').fill(totp(secret) === '000000' ? '111111' : '000000');
    await continueButton(page).click();
    await expect(alert(page, 'Incorrect code.')).toBeVisible();

    await field(page, 'Verification code').fill(totp(secret));
    await continueButton(page).click();
    const codes = page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem');
    await expect(codes).toHaveCount(10);
    await continueButton(page).click();
    await expectDashboard(page, MFA, { Email: u.email, 'Session status': 'active' });
  });

  test('with an SMS code', async ({ page, request }) => {
    const u = await newUser(request, MFA, 'sms');
    const phone = `+1555${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
    await passwordSignIn(page, MFA, u.email, u.password);
    await expect(page).toHaveURL(at(MFA, '/sign-in/tasks/setup-mfa'));
    await clickAction(page, 'SMS code');
    await field(page, 'Phone number').fill(phone);
    await continueButton(page).click();
    const code = await latestCode(request, phone, { base: MFA });
    await field(page, 'Verification code').fill(code === '000000' ? '111111' : '000000');
    await continueButton(page).click();
    await expect(alert(page, 'Incorrect code.')).toBeVisible();
    await field(page, 'Verification code').fill(code);
    await continueButton(page).click();
    await expect(page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem')).toHaveCount(10);
    await continueButton(page).click();
    await expectDashboard(page, MFA, { 'Session status': 'active' });
    await userMenu(page).click();
    await clickAction(page, 'Sign out');
    await expect(page).toHaveURL(at(MFA, '/'));
  });
});
