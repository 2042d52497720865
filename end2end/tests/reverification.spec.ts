import {
  test,
  expect,
  alert,
  at,
  SECRET_KEY,
  continueButton,
  createUser,
  dd,
  field,
  heading,
  open,
  passwordSignIn,
  strongPassword,
  totp,
  uniqueEmail,
  orgMenu,
  ageVerification,
} from './fixtures';
import { SERVERS, base } from './servers';
import type { APIRequestContext, Locator, Page } from '@playwright/test';

// Reverification (README, "Reverification"): a sensitive portal action asks for a recent
// verification — a dialog that retries the action with JavaScript, the hosted /user/verify page and
// back without it.
const MAIN = base(SERVERS.main);

/** Where the verification is asked: the dialog (JS) or the hosted page (no JS). */
async function verifier(page: Page, js: boolean, on: string = MAIN): Promise<Page | Locator> {
  if (js) {
    const dialog = page.getByRole('dialog', { name: 'Verify your identity' });
    await expect(dialog).toBeVisible();
    return dialog;
  }
  await expect(page).toHaveURL(at(on, '/user/verify'));
  await expect(heading(page, 'Verify your identity')).toBeVisible();
  return page;
}

test('the verification page asks even when the session is verified, then goes back', async ({ page, request }) => {
  const email = uniqueEmail('verify-page');
  const password = strongPassword();
  await createUser(request, { email, password }, MAIN);
  await passwordSignIn(page, MAIN, email, password);
  await expect(page).toHaveURL(at(MAIN, '/dashboard'));
  await open(page, `${MAIN}/user/verify?redirect_url=/dashboard`);
  await expect(heading(page, 'Verify your identity')).toBeVisible();
  await expect(page.getByText("You're verified.")).toHaveCount(0);
  await field(page, 'Password').fill(password);
  await continueButton(page).click();
  await expect(page).toHaveURL(at(MAIN, '/dashboard'));
  await expect(heading(page, 'Dashboard')).toBeVisible();
});

test('delete the account after verifying the password again', async ({ page, request, js }) => {
  const email = uniqueEmail('delete-account');
  const password = strongPassword();
  const user = await createUser(request, { email, password }, MAIN);
  await passwordSignIn(page, MAIN, email, password);
  await expect(page).toHaveURL(at(MAIN, '/dashboard'));
  await ageVerification(request, email);
  await open(page, `${MAIN}/user`);
  await page.getByRole('button', { name: 'Delete account', exact: true }).click();

  const where = await verifier(page, js);
  await where.getByLabel('Password', { exact: true }).fill('not-my-password-1');
  await where.getByRole('button', { name: 'Continue', exact: true }).click();
  await expect(where.getByRole('alert').filter({ hasText: 'Email address or password is incorrect.' })).toBeVisible();
  await where.getByLabel('Password', { exact: true }).fill(password);
  await where.getByRole('button', { name: 'Continue', exact: true }).click();
  if (!js) {
    // Back where the form was; the action is asked again.
    await expect(page).toHaveURL(at(MAIN, '/user'));
    await page.getByRole('button', { name: 'Delete account', exact: true }).click();
  }
  await expect(page).toHaveURL(at(MAIN, '/'));
  await expect(page.getByText('You are signed out')).toBeVisible();
  const gone = await request.get(`${MAIN}/v1/users/${user.id}`, {
    headers: { Authorization: `Bearer ${SECRET_KEY}` },
  });
  expect(gone.status()).toBe(404);
});

test('regenerating backup codes asks for the second factor too', async ({ page, request, js }) => {
  const email = uniqueEmail('reverify-2fa');
  const password = strongPassword();
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ';
  await createUser(request, { email, password, totp_secret: secret }, MAIN);
  await passwordSignIn(page, MAIN, email, password);
  await expect(page).toHaveURL(at(MAIN, '/sign-in/factor-two'));
  await field(page, 'Verification code').fill(totp(secret));
  await continueButton(page).click();
  await expect(page).toHaveURL(at(MAIN, '/dashboard'));
  await ageVerification(request, email);
  await open(page, `${MAIN}/user`);
  const regenerate = page.getByRole('button', { name: 'Regenerate backup codes', exact: true });
  await regenerate.click();

  const where = await verifier(page, js);
  await where.getByLabel('Password', { exact: true }).fill(password);
  await where.getByRole('button', { name: 'Continue', exact: true }).click();
  // The next time step: the one used at sign-in is never accepted twice.
  await where.getByLabel('Verification code', { exact: true }).fill(totp(secret, Date.now() + 30_000));
  await where.getByRole('button', { name: 'Continue', exact: true }).click();
  if (!js) {
    await expect(page).toHaveURL(at(MAIN, '/user'));
    await regenerate.click();
  }
  await expect(page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem')).toHaveCount(10);
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(alert(page, 'Verify your identity to continue.')).toHaveCount(0);
});

const ORGS = base(SERVERS.orgsMulti);

/**
 * A new user who is the admin of a new organization (`prefix` names both), signed in on the
 * organizations server with that organization active; `setup` runs before the sign-in.
 */
async function adminOfNewOrganization(
  page: Page,
  request: APIRequestContext,
  prefix: string,
  setup: (org: { id: string; name: string }) => Promise<void> = async () => {},
) {
  const email = uniqueEmail(prefix.toLowerCase());
  const password = strongPassword();
  const admin = await createUser(request, { email, password }, ORGS);
  const created = await request.post(`${ORGS}/v1/organizations`, {
    headers: { Authorization: `Bearer ${SECRET_KEY}` },
    data: { name: `${prefix} ${Math.random().toString(36).slice(2, 7)}`, created_by: admin.id },
  });
  expect(created.status()).toBe(200);
  const org = await created.json();
  await setup(org);
  await passwordSignIn(page, ORGS, email, password);
  await expect(heading(page, 'Dashboard')).toBeVisible();
  await orgMenu(page).click();
  await page.getByRole('button', { name: org.name, exact: true }).click();
  // (The URL is /dashboard before the switch too: wait for the switched page, or the next
  // navigation may cancel the switch's form post without JavaScript.)
  await expect(dd(page, 'Organization')).toHaveText(org.name);
  return { email, password, org };
}

/**
 * Clicks `button` on the organization page with the session's verification aged, verifies with
 * `password` (the dialog, or the hosted page and back), and clicks it again without JavaScript.
 */
async function actAfterVerifying(page: Page, request: APIRequestContext, js: boolean, button: string, email: string, password: string) {
  await ageVerification(request, email, ORGS);
  await open(page, `${ORGS}/organization`);
  const target = page.getByRole('button', { name: button, exact: true });
  await target.click();
  const where = await verifier(page, js, ORGS);
  await where.getByLabel('Password', { exact: true }).fill(password);
  await where.getByRole('button', { name: 'Continue', exact: true }).click();
  if (!js) {
    await expect(page).toHaveURL(at(ORGS, '/organization'));
    await target.click();
  }
}

test('an admin deletes the organization after verifying again', async ({ page, request, js }) => {
  const { email, password, org } = await adminOfNewOrganization(page, request, 'Doomed');
  await actAfterVerifying(page, request, js, 'Delete organization', email, password);
  await expect(page).not.toHaveURL(at(ORGS, '/user/verify'));
  await expect
    .poll(async () => (await request.get(`${ORGS}/v1/organizations/${org.id}`, {
      headers: { Authorization: `Bearer ${SECRET_KEY}` },
    })).status())
    .toBe(404);
});

test('an admin removing themselves verifies again first', async ({ page, request, js }) => {
  // A second admin, so that the last-admin rule is not what stops it.
  const secondAdmin = async (org: { id: string }) => {
    const other = await createUser(request, { email: uniqueEmail('selfless-other'), password: strongPassword() }, ORGS);
    const added = await request.post(`${ORGS}/v1/organizations/${org.id}/memberships`, {
      headers: { Authorization: `Bearer ${SECRET_KEY}` },
      data: { user_id: other.id, role: 'org:admin' },
    });
    expect(added.status(), await added.text()).toBe(200);
  };
  const { email, password } = await adminOfNewOrganization(page, request, 'Selfless', secondAdmin);
  await actAfterVerifying(page, request, js, `Remove ${email}`, email, password);
  // Out of the organization: on to the dashboard, in the personal account.
  await expect(page).toHaveURL(at(ORGS, '/dashboard'));
  await expect(dd(page, 'Organization')).toHaveText('None');
});
