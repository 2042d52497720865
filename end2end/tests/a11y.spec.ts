import AxeBuilder from '@axe-core/playwright';
import {
  test,
  expect,
  action,
  alert,
  backend,
  clickAction,
  continueButton,
  createUser,
  field,
  heading,
  latestCode,
  open,
  orgMenu,
  passwordSignIn,
  strongPassword,
  totp,
  uniqueEmail,
  userMenu,
  at,
} from './fixtures';
import { SERVERS, base } from './servers';
import type { BrowserContext, Locator, Page } from '@playwright/test';

// Accessibility of every hosted page and state (WCAG 2.1 A/AA, axe-core), with JavaScript on and
// off: a serious or critical finding fails the test, naming the rule and the elements.
// Each test checks up to a dozen pages and states, and axe takes seconds on each (more without
// JavaScript, where every check opens a scratch page): the default 30 s is for one flow, not for
// a dozen audits on a slow machine (a CI run timed out inside the eleventh check).
test.describe.configure({ timeout: 120_000 });

const MAIN = base(SERVERS.main);
const MFA = base(SERVERS.mfa);
const TRUST = base(SERVERS.trust);
const ORGS = base(SERVERS.orgs);
const ORGS_MULTI = base(SERVERS.orgsMulti);
const CUSTOM = base(SERVERS.custom);
const TERMS_NEW = base(SERVERS.termsNew);
const TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

/**
 * Runs axe on the page as it is now; `state` names it in the failure message. axe runs as a
 * script, so without JavaScript the page as the server rendered it (its DOM, scripts removed) is
 * checked in a scratch page that has JavaScript, at the same URL (styles load from the server).
 */
async function expectAccessible(page: Page, state: string): Promise<void> {
  await test.step(`axe: ${state}`, async () => {
    let target = page;
    let scratch: BrowserContext | undefined;
    if (test.info().project.use.javaScriptEnabled === false) {
      const url = page.url();
      const html = (await page.content()).replace(/<script\b[\s\S]*?<\/script>/gi, '');
      scratch = await page.context().browser()!.newContext({ javaScriptEnabled: true });
      target = await scratch.newPage();
      await target.route(
        (u) => u.href === url,
        (route) => route.fulfill({ body: html, contentType: 'text/html; charset=utf-8' }),
      );
      await target.goto(url);
    }
    try {
      const results = await new AxeBuilder({ page: target })
        .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
        // "Label in name" (WCAG 2.5.3) is an experimental rule, off unless asked for.
        .options({ rules: { 'label-content-name-mismatch': { enabled: true } } })
        .analyze();
      const serious = results.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      expect(serious, `${state} at ${page.url()}`).toEqual([]);
    } finally {
      await scratch?.close();
    }
  });
}

test('sign-in and sign-up steps, and their error states', async ({ page, request }) => {
  const email = uniqueEmail('a11y-sign-in');
  const password = strongPassword();
  await createUser(request, { email, password });

  await open(page, `${MAIN}/`);
  await expectAccessible(page, 'home, signed out');

  await open(page, `${MAIN}/sign-in`);
  await expectAccessible(page, 'sign-in');
  await field(page, 'Email address').fill(email);
  await field(page, 'Password').fill('Wrong-password-1');
  await continueButton(page).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expectAccessible(page, 'sign-in, wrong password');

  await field(page, 'Email address').fill(email);
  await clickAction(page, 'Use another method');
  await expect(page).toHaveURL(at(MAIN, '/sign-in/factor-one'));
  await expectAccessible(page, 'factor-one');
  await clickAction(page, 'Email code');
  await expect(field(page, 'Verification code')).toBeVisible();
  await expectAccessible(page, 'email code');
  await field(page, 'Verification code').fill('000000');
  await continueButton(page).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expectAccessible(page, 'email code, incorrect');

  await page.context().clearCookies();
  await open(page, `${MAIN}/sign-in`);
  await field(page, 'Email address').fill(email);
  await clickAction(page, 'Forgot password?');
  await expect(heading(page, 'Reset your password')).toBeVisible();
  await expectAccessible(page, 'forgot password, code');
  await field(page, 'Verification code').fill(await latestCode(request, email));
  await continueButton(page).click();
  await expect(field(page, 'New password')).toBeVisible();
  await expectAccessible(page, 'forgot password, new password');

  await page.context().clearCookies();
  await open(page, `${MAIN}/sign-up`);
  await expectAccessible(page, 'sign-up');
  const newcomer = uniqueEmail('a11y-sign-up');
  await field(page, 'Email address').fill(newcomer);
  await field(page, 'Password').fill('short');
  await continueButton(page).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expectAccessible(page, 'sign-up, password too short');
  await field(page, 'Email address').fill(newcomer);
  await field(page, 'Password').fill(strongPassword());
  await continueButton(page).click();
  await expect(heading(page, 'Verify your email')).toBeVisible();
  await expectAccessible(page, 'sign-up, verify email');
});

test('second factor, device trust', async ({ page, request }) => {
  const email = uniqueEmail('a11y-mfa');
  const password = strongPassword();
  await createUser(request, { email, password, totp_secret: TOTP_SECRET });
  await passwordSignIn(page, MAIN, email, password);
  await expect(heading(page, 'Two-step verification')).toBeVisible();
  await expectAccessible(page, 'factor-two');
  await field(page, 'Verification code').fill(totp(TOTP_SECRET) === '000000' ? '111111' : '000000');
  await continueButton(page).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await expectAccessible(page, 'factor-two, incorrect');
  await clickAction(page, 'Use another method');
  await expect(action(page, 'Authenticator app')).toBeVisible();
  await expectAccessible(page, 'factor-two, other methods');

  const trusted = uniqueEmail('a11y-trust');
  await createUser(request, { email: trusted, password }, TRUST);
  await page.context().clearCookies();
  await passwordSignIn(page, TRUST, trusted, password);
  await expect(heading(page, 'Verify this device')).toBeVisible();
  await expectAccessible(page, 'client trust');
});

test('task pages', async ({ page, request }) => {
  const password = strongPassword();
  const compromised = await createUser(request, { email: uniqueEmail('a11y-reset'), password });
  await backend(request, MAIN, `/v1/users/${compromised.id}/password_compromised`);
  await passwordSignIn(page, MAIN, compromised.email, password);
  await expect(page).toHaveURL(at(MAIN, '/sign-in/factor-one'));
  await expectAccessible(page, 'factor-one, compromised password');
  await clickAction(page, 'Email code');
  await field(page, 'Verification code').fill(await latestCode(request, compromised.email));
  await continueButton(page).click();
  await expect(heading(page, 'Reset your password')).toBeVisible();
  await expectAccessible(page, 'task reset-password');

  const enrolling = uniqueEmail('a11y-setup-mfa');
  await createUser(request, { email: enrolling, password }, MFA);
  await page.context().clearCookies();
  await passwordSignIn(page, MFA, enrolling, password);
  await expect(heading(page, 'Set up two-step verification')).toBeVisible();
  await expectAccessible(page, 'task setup-mfa, picker');
  await clickAction(page, 'Authenticator app');
  await expect(page.getByRole('img', { name: 'QR code' })).toBeVisible();
  await expectAccessible(page, 'task setup-mfa, authenticator app');

  const member = uniqueEmail('a11y-choose-org');
  await createUser(request, { email: member, password }, ORGS);
  await page.context().clearCookies();
  await passwordSignIn(page, ORGS, member, password);
  await expect(page).toHaveURL(at(ORGS, '/sign-in/tasks/choose-organization'));
  await expectAccessible(page, 'task choose-organization');

  const acknowledging = uniqueEmail('a11y-custom');
  await createUser(request, { email: acknowledging, password }, CUSTOM);
  await page.context().clearCookies();
  await passwordSignIn(page, CUSTOM, acknowledging, password);
  await expect(heading(page, 'Accept the data processing agreement')).toBeVisible();
  await expectAccessible(page, 'custom task on its hosted page');

  const agreeing = uniqueEmail('a11y-terms');
  await createUser(request, { email: agreeing, password }, TERMS_NEW);
  await page.context().clearCookies();
  await passwordSignIn(page, TERMS_NEW, agreeing, password);
  await expect(heading(page, 'Accept the updated terms')).toBeVisible();
  await expectAccessible(page, 'task accept-terms');
});

test('dashboard menus, account and organization portals, invitations', async ({ page, request }) => {
  const password = strongPassword();
  const admin = await createUser(request, { email: uniqueEmail('a11y-portal'), password }, ORGS_MULTI);
  const org = await backend(request, ORGS_MULTI, '/v1/organizations', {
    name: `Accessible ${Math.random().toString(36).slice(2, 7)}`,
    created_by: admin.id,
  });
  await passwordSignIn(page, ORGS_MULTI, admin.email, password);
  await expect(heading(page, 'Dashboard')).toBeVisible();
  await orgMenu(page).click();
  await page.getByRole('button', { name: org.name, exact: true }).click();
  await expect(page).toHaveURL(at(ORGS_MULTI, '/dashboard'));
  await expectAccessible(page, 'dashboard');
  await userMenu(page).click();
  await expect(page.getByRole('button', { name: 'Sign out', exact: true })).toBeVisible();
  await expectAccessible(page, 'dashboard, user menu open');
  await open(page, `${ORGS_MULTI}/dashboard`);
  await orgMenu(page).click();
  await expect(page.getByRole('link', { name: 'Manage organization', exact: true })).toBeVisible();
  await expectAccessible(page, 'dashboard, organization menu open');

  // Verified an hour ago: /user/verify asks for the password (README, "Reverification").
  const aged = await request.post(`${ORGS_MULTI}/__testing/age-verification`, {
    data: { email: admin.email, seconds: 3600 },
  });
  expect(aged.status()).toBe(200);
  for (const [path, name] of [
    ['/user', 'account portal'],
    ['/user/verify?level=strict&redirect_url=/user', 'reverification page'],
    ['/organization', 'organization portal'],
    ['/organization/new', 'new organization'],
    ['/sign-in/choose', 'account chooser'],
    ['/invitation?token=not-a-token', 'invitation, unknown link'],
  ]) {
    await open(page, `${ORGS_MULTI}${path}`);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await expectAccessible(page, name);
  }
});

/** Presses Tab until `target` has the focus (the keyboard is the only input). */
async function tabTo(page: Page, target: Locator, limit = 40): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) {
      return;
    }
    await page.keyboard.press('Tab');
  }
  throw new Error(`${target} not reached with ${limit} presses of Tab`);
}

test('keyboard only: sign in (with a mistake), then the choose-organization task', async ({ page, request, js }) => {
  const password = strongPassword();
  const admin = await createUser(request, { email: uniqueEmail('kb-owner'), password }, ORGS);
  const member = await createUser(request, { email: uniqueEmail('kb-member'), password }, ORGS);
  const name = `Keyboard ${Date.now()}`;
  await backend(request, ORGS, '/v1/organizations', {
    name,
    created_by: admin.id,
    members: [{ user_id: member.id, role: 'org:member' }],
  });
  await open(page, `${ORGS}/sign-in`);

  await test.step('a wrong password: the error is announced and, with JavaScript, focused', async () => {
    await tabTo(page, field(page, 'Email address'));
    await page.keyboard.type(member.email);
    await tabTo(page, field(page, 'Password'));
    await page.keyboard.type('Wrong-password-1');
    await page.keyboard.press('Enter');
    const error = alert(page, 'Email address or password is incorrect.');
    await expect(error).toBeVisible();
    if (js) {
      await expect(error).toBeFocused();
    }
  });

  await test.step('the right password, submitted with the Continue button', async () => {
    // Without JavaScript the page came back from the server: type both again.
    await tabTo(page, field(page, 'Email address'));
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type(member.email);
    await tabTo(page, field(page, 'Password'));
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type(password);
    await tabTo(page, continueButton(page));
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(at(ORGS, '/sign-in/tasks/choose-organization'));
    await expect(heading(page, 'Choose an organization')).toBeVisible();
    if (js) {
      await expect(heading(page, 'Choose an organization')).toBeFocused();
    }
  });

  await test.step('the task: the organization picked with the keyboard', async () => {
    await tabTo(page, page.getByRole('button', { name, exact: true }));
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(at(ORGS, '/dashboard'));
    await expect(heading(page, 'Dashboard')).toBeVisible();
  });
});
