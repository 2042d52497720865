import {
  test,
  expect,
  alert,
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
  at,
  continueButton,
  passwordSignIn,
  signOutOn,
} from './fixtures';
import { SERVERS, base } from './servers';
import type { APIRequestContext, Page } from '@playwright/test';

// Second factors at sign-in and device trust, with JavaScript on and off.
const MAIN = base(SERVERS.main);
const MFA = base(SERVERS.mfa);
const TRUST = base(SERVERS.trust);


function randomSecret(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return Array.from({ length: 32 }, () => alphabet[Math.floor(Math.random() * 32)]).join('');
}


/** Signs up on the MFA-required instance and enrols an authenticator app; returns the backup codes. */
async function enrolledUser(page: Page, request: APIRequestContext) {
  const email = uniqueEmail('enrolled');
  const password = strongPassword();
  await createUser(request, { email, password }, MFA);
  await passwordSignIn(page, MFA, email, password);
  await clickAction(page, 'Authenticator app');
  const secret = ((await page.getByLabel('Secret key').textContent()) ?? '').trim();
  await field(page, 'Verification code').fill(totp(secret));
  await continueButton(page).click();
  const items = page.getByRole('list', { name: 'Backup codes' }).getByRole('listitem');
  await expect(items).toHaveCount(10);
  const codes = (await items.allTextContents()).map((c) => c.trim());
  await continueButton(page).click();
  await expect(page).toHaveURL(at(MFA, '/dashboard'));
  await signOutOn(page, MFA);
  return { email, password, secret, codes };
}

test('sign-in with an authenticator app', async ({ page, request }) => {
  const email = uniqueEmail('totp-signin');
  const password = strongPassword();
  const secret = randomSecret();
  await createUser(request, { email, password, totp_secret: secret }, MAIN);
  await passwordSignIn(page, MAIN, email, password);
  await expect(page).toHaveURL(at(MAIN, '/sign-in/factor-two'));
  await expect(heading(page, 'Two-step verification')).toBeVisible();
  const right = totp(secret);
  await field(page, 'Verification code').fill(right === '000000' ? '111111' : '000000');
  await continueButton(page).click();
  await expect(alert(page, 'Incorrect code.')).toBeVisible();
  await field(page, 'Verification code').fill(right);
  await continueButton(page).click();
  await expect(page).toHaveURL(at(MAIN, '/dashboard'));
  await expect(dd(page, 'Email')).toHaveText(email);
});

test('sign-in with a backup code, which then stops working', async ({ page, request }) => {
  const user = await enrolledUser(page, request);
  for (const attempt of ['first', 'second']) {
    await test.step(`${attempt} use of the backup code`, async () => {
      await passwordSignIn(page, MFA, user.email, user.password);
      await expect(page).toHaveURL(at(MFA, '/sign-in/factor-two'));
      await clickAction(page, 'Use another method');
      await clickAction(page, 'Backup code');
      await field(page, 'Backup code').fill(user.codes[0]);
      await continueButton(page).click();
      if (attempt === 'first') {
        await expect(page).toHaveURL(at(MFA, '/dashboard'));
        await signOutOn(page, MFA);
      } else {
        await expect(alert(page, 'Incorrect code.')).toBeVisible();
      }
    });
  }
  await clickAction(page, 'Back');
  await expect(page).toHaveURL(at(MFA, '/sign-in'));
});

test('sign-in with an SMS code', async ({ page, request }) => {
  const email = uniqueEmail('sms-signin');
  const password = strongPassword();
  const phone = `+1555${Math.floor(1_000_000 + Math.random() * 8_999_999)}`;
  await createUser(request, { email, password }, MFA);
  await passwordSignIn(page, MFA, email, password);
  await clickAction(page, 'SMS code');
  await field(page, 'Phone number').fill(phone);
  await continueButton(page).click();
  await field(page, 'Verification code').fill(await latestCode(request, phone, { base: MFA }));
  await continueButton(page).click();
  await continueButton(page).click(); // under the backup codes
  await expect(page).toHaveURL(at(MFA, '/dashboard'));
  await signOutOn(page, MFA);

  const enrolmentCode = await latestCode(request, phone, { base: MFA });
  await passwordSignIn(page, MFA, email, password);
  await expect(page).toHaveURL(at(MFA, '/sign-in/factor-two'));
  await expect(page.getByText('Enter the code we sent to your phone')).toBeVisible();
  const code = await latestCode(request, phone, { base: MFA, exclude: [enrolmentCode] });
  await field(page, 'Verification code').fill(code);
  await continueButton(page).click();
  await expect(page).toHaveURL(at(MFA, '/dashboard'));
});

test('device trust: a new browser proves the inbox, a known one does not', async ({ page, browser, request, js }) => {
  const email = uniqueEmail('trust');
  const password = strongPassword();
  await createUser(request, { email, password }, TRUST);

  await passwordSignIn(page, TRUST, email, password);
  await expect(page).toHaveURL(at(TRUST, '/sign-in/client-trust'));
  await expect(heading(page, 'Verify this device')).toBeVisible();
  await expect(page.getByText("You're signing in from a new device.")).toBeVisible();
  const firstCode = await latestCode(request, email, { base: TRUST });
  await open(page, `${TRUST}/dashboard`);
  await expect(page).toHaveURL(at(TRUST, '/sign-in'), { timeout: 10_000 });
  await passwordSignIn(page, TRUST, email, password);
  await expect(page).toHaveURL(at(TRUST, '/sign-in/client-trust'));
  const code = await latestCode(request, email, { base: TRUST, exclude: [firstCode] });
  await field(page, 'Verification code').fill(code);
  await continueButton(page).click();
  await expect(page).toHaveURL(at(TRUST, '/dashboard'));
  await signOutOn(page, TRUST);

  await test.step('the same browser signs in without a code', async () => {
    await passwordSignIn(page, TRUST, email, password);
    await expect(page).toHaveURL(at(TRUST, '/dashboard'));
  });

  await test.step('another browser is challenged, and "Back" abandons', async () => {
    const context = await browser.newContext({ javaScriptEnabled: js });
    const other = await context.newPage();
    await passwordSignIn(other, TRUST, email, password);
    await expect(other).toHaveURL(at(TRUST, '/sign-in/client-trust'));
    await clickAction(other, 'Back');
    await expect(other).toHaveURL(at(TRUST, '/sign-in'));
    await context.close();
  });
});
