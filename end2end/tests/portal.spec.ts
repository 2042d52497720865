import {
  test,
  expect,
  alert,
  clickAction,
  createUser,
  field,
  heading,
  open,
  strongPassword,
  totp,
  uniqueEmail,
  at,
  continueButton,
  passwordSignIn,
} from './fixtures';
import { SERVERS, base } from './servers';
import type { Page } from '@playwright/test';
import { dd } from './fixtures';

// The account portal /user (README, "Hosted pages"), with JavaScript on and off.
const MFA = base(SERVERS.mfa);
const MAIN = base(SERVERS.main);

test('change the password; sign out another device', async ({ page, browser, request, js }) => {
  const email = uniqueEmail('portal');
  const password = strongPassword();
  await createUser(request, { email, password }, MAIN);

  const context = await browser.newContext({ javaScriptEnabled: js });
  const other = await context.newPage();
  await passwordSignIn(other, MAIN, email, password);
  await expect(other).toHaveURL(at(MAIN, '/dashboard'));

  await passwordSignIn(page, MAIN, email, password);
  await expect(page).toHaveURL(at(MAIN, '/dashboard'));
  await open(page, `${MAIN}/user`);
  await expect(heading(page, 'Account')).toBeVisible();

  const devices = page.getByRole('list', { name: 'Signed-in devices' }).getByRole('listitem');
  await expect(devices).toHaveCount(2);
  const otherDevice = devices.filter({ hasNotText: 'This device' });
  await otherDevice.getByRole('button', { name: 'Sign out' }).click();
  await expect(devices).toHaveCount(1);
  await expect(devices.first()).toContainText('This device');
  await open(other, `${MAIN}/dashboard`);
  await expect(other).toHaveURL(at(MAIN, '/sign-in'));
  await context.close();

  await field(page, 'Current password').fill('not-my-password-1');
  const fresh = strongPassword();
  await field(page, 'New password').fill(fresh);
  await field(page, 'Confirm password').fill(fresh);
  await page.getByRole('button', { name: 'Update password' }).click();
  await expect(alert(page, 'Email address or password is incorrect.')).toBeVisible();

  await field(page, 'Current password').fill(password);
  await field(page, 'New password').fill(fresh);
  await field(page, 'Confirm password').fill(fresh);
  await page.getByRole('button', { name: 'Update password' }).click();
  if (js) {
    await expect(page.getByRole('status')).toHaveText('Your password was changed.');
  } else {
    await expect(page).toHaveURL(at(MAIN, '/user'));
  }
  await open(page, `${MAIN}/dashboard`);
  await expect(heading(page, 'Dashboard')).toBeVisible();
});

test('regenerate backup codes', async ({ page, request }) => {
  const email = uniqueEmail('regen');
  const password = strongPassword();
  await createUser(request, { email, password }, MFA);
  await passwordSignIn(page, MFA, email, password);
  await clickAction(page, 'Authenticator app');
  const secret = ((await page.getByLabel('Secret key').textContent()) ?? '').trim();
  await field(page, 'Verification code').fill(totp(secret));
  await continueButton(page).click();
  const first = page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem');
  await expect(first).toHaveCount(10);
  const oldCodes = await first.allTextContents();
  await continueButton(page).click();
  await expect(page).toHaveURL(at(MFA, '/dashboard'));

  await open(page, `${MFA}/user`);
  await expect(page.getByRole('list', { name: 'Backup codes' })).toHaveCount(0);
  const regenerate = page.getByRole('group', { name: 'Regenerate backup codes' });
  await regenerate.getByLabel('Password', { exact: true }).fill(password);
  await regenerate.getByRole('button', { name: 'Regenerate backup codes' }).click();
  const fresh = page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem');
  await expect(fresh).toHaveCount(10);
  expect(await fresh.allTextContents()).not.toEqual(oldCodes);
  await open(page, `${MFA}/user`);
  await expect(page.getByRole('list', { name: 'Backup codes' })).toHaveCount(0);
});

test('add an authenticator app', async ({ page, request }) => {
  const email = uniqueEmail('add-totp');
  const password = strongPassword();
  await createUser(request, { email, password }, MAIN);
  await passwordSignIn(page, MAIN, email, password);
  await expect(page).toHaveURL(at(MAIN, '/dashboard'));
  await open(page, `${MAIN}/user`);
  await expect(dd(page, 'Authenticator app')).toHaveText('Off');
  const add = page.getByRole('group', { name: 'Add authenticator app' });
  await add.getByLabel('Password', { exact: true }).fill(password);
  await add.getByRole('button', { name: 'Add authenticator app' }).click();
  await expect(page.getByRole('img', { name: 'QR code' })).toBeVisible();
  const secret = ((await page.getByLabel('Secret key').textContent()) ?? '').trim();
  await field(page, 'Verification code').fill(totp(secret));
  await continueButton(page).click();
  await expect(dd(page, 'Authenticator app')).toHaveText('On');
  await expect(page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem')).toHaveCount(10);

  await test.step('the next sign-in asks for the code', async () => {
    await page.context().clearCookies();
    await passwordSignIn(page, MAIN, email, password);
    await expect(page).toHaveURL(at(MAIN, '/sign-in/factor-two'));
  });
});
