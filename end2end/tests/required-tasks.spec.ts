import {
  test,
  expect,
  hydrated,
  alert,
  at,
  backend,
  clickAction,
  continueButton,
  createUser,
  dd,
  field,
  heading,
  latestCode,
  open,
  orgMenu,
  passwordSignIn,
  strongPassword,
  uniqueEmail,
} from './fixtures';
import { SERVERS, base } from './servers';
import type { APIRequestContext, Page } from '@playwright/test';

// Tasks beyond the three (README, "Custom tasks"), with JavaScript on and off: an app-defined
// acknowledgement on the hosted page, an app-defined task on the app's own page, the terms after a
// version bump, and an organization that requires a second factor.
const CUSTOM = base(SERVERS.custom);
const TERMS_OLD = base(SERVERS.termsOld);
const TERMS_NEW = base(SERVERS.termsNew);
const ORGS = base(SERVERS.orgsMulti);

async function newUser(request: APIRequestContext, server: string, prefix: string) {
  const email = uniqueEmail(prefix);
  const password = strongPassword();
  const user = await createUser(request, { email, password }, server);
  return { email, password, id: user.id as string };
}

async function expectDashboard(page: Page, server: string, facts: Record<string, string>) {
  await expect(page).toHaveURL(at(server, '/dashboard'));
  await expect(heading(page, 'Dashboard')).toBeVisible();
  // (Reached with a page load from the hosted island: let it hydrate before using its menus.)
  await hydrated(page);
  for (const [term, value] of Object.entries(facts)) {
    await expect(dd(page, term)).toHaveText(value);
  }
}

test('an app-defined acknowledgement is done on its hosted page', async ({ page, request }) => {
  const u = await newUser(request, CUSTOM, 'dpa');
  await passwordSignIn(page, CUSTOM, u.email, u.password);
  await expect(page).toHaveURL(at(CUSTOM, '/sign-in/tasks/accept-dpa'));
  await expect(heading(page, 'Accept the data processing agreement')).toBeVisible();
  await expect(page.getByText('We process your data on your behalf under this agreement.')).toBeVisible();
  await test.step('pending is signed out: the dashboard sends back to the task', async () => {
    await open(page, `${CUSTOM}/dashboard`);
    await expect(page).toHaveURL(at(CUSTOM, '/sign-in/tasks/accept-dpa'));
  });
  await continueButton(page).click();
  await expectDashboard(page, CUSTOM, { Email: u.email, 'Session status': 'active' });
  const tasks = await request.get(`${CUSTOM}/v1/users/${u.id}/tasks`, {
    headers: { Authorization: 'Bearer sk_test_e2e_0123456789abcdef' },
  });
  expect((await tasks.json()).total_count).toBe(0);
});

test("a task an operator requires is done on the app's own page", async ({ page, request }) => {
  const u = await newUser(request, CUSTOM, 'survey');
  // The acknowledgement every user owes comes first; then the session is active.
  await passwordSignIn(page, CUSTOM, u.email, u.password);
  await expect(heading(page, 'Accept the data processing agreement')).toBeVisible();
  await continueButton(page).click();
  await expectDashboard(page, CUSTOM, { 'Session status': 'active' });

  const owed = await backend(request, CUSTOM, `/v1/users/${u.id}/tasks`, { key: 'profile-survey' });
  expect(owed.data).toEqual([{ object: 'user_task', key: 'profile-survey', requested: true }]);
  await open(page, `${CUSTOM}/dashboard`);
  await expect(page).toHaveURL(at(CUSTOM, '/onboarding/profile-survey'));
  await expect(heading(page, 'Tell us about your team')).toBeVisible();
  await expect(page.getByText("This page belongs to the app: its form calls the app's own server function.")).toBeVisible();
  await continueButton(page).click();
  await expectDashboard(page, CUSTOM, { 'Session status': 'active' });
});

test('the terms are accepted again after a version bump', async ({ page }) => {
  const email = uniqueEmail('terms');
  const password = strongPassword();
  await test.step('sign up under the old terms', async () => {
    await open(page, `${TERMS_OLD}/sign-up`);
    await field(page, 'Email address').fill(email);
    await field(page, 'Password').fill(password);
    await page.getByLabel('I agree to the Terms of Service and Privacy Policy').check();
    await continueButton(page).click();
    await expect(heading(page, 'Verify your email')).toBeVisible();
    await field(page, 'Verification code').fill(await latestCode(page.request, email, { base: TERMS_OLD }));
    await continueButton(page).click();
    await expectDashboard(page, TERMS_OLD, { 'Session status': 'active' });
  });
  await test.step('the same session owes the new terms on the instance that serves them', async () => {
    // One database, one browser (cookies ignore the port): the signed-in session's next request
    // on the new version is pending.
    await open(page, `${TERMS_NEW}/dashboard`);
    await expect(page).toHaveURL(at(TERMS_NEW, '/sign-in/tasks/accept-terms'));
    await expect(heading(page, 'Accept the updated terms')).toBeVisible();
    await continueButton(page).click();
    await expect(alert(page, 'You must accept the Terms of Service and Privacy Policy to continue.')).toBeVisible();
    await page.getByLabel('I agree to the Terms of Service and Privacy Policy').check();
    await continueButton(page).click();
    await expectDashboard(page, TERMS_NEW, { 'Session status': 'active' });
  });
});

test('an organization that requires MFA sends its member to setup-mfa; a switch away does not', async ({ page, request }) => {
  const admin = await newUser(request, ORGS, 'strict-admin');
  const member = await newUser(request, ORGS, 'strict-member');
  const strict = await backend(request, ORGS, '/v1/organizations', {
    name: `Strict ${Date.now()}`,
    created_by: admin.id,
    members: [{ user_id: member.id, role: 'org:member' }],
  });
  const patched = await request.patch(`${ORGS}/v1/organizations/${strict.id}`, {
    headers: { Authorization: 'Bearer sk_test_e2e_0123456789abcdef' },
    data: { require_mfa: true },
  });
  expect(patched.status()).toBe(200);

  await passwordSignIn(page, ORGS, member.email, member.password);
  await expectDashboard(page, ORGS, { Organization: 'None', 'Session status': 'active' });
  await orgMenu(page).click();
  await page.getByRole('button', { name: strict.name, exact: true }).click();
  await expect(page).toHaveURL(at(ORGS, '/sign-in/tasks/setup-mfa'));
  await expect(heading(page, 'Set up two-step verification')).toBeVisible();
  await expect(page.getByText(`${strict.name} requires two-step verification for its members.`)).toBeVisible();
  await clickAction(page, 'Personal account');
  await expectDashboard(page, ORGS, { Organization: 'None', 'Session status': 'active' });
});
