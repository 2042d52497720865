import {
  test,
  expect,
  hydrated,
  alert,
  clickAction,
  createUser,
  dd,
  field,
  heading,
  latestCode,
  open,
  outbox,
  signIn,
  signOut,
  strongPassword,
  submitSignIn,
  uniqueEmail,
  URLS,
  userMenu,
  wrongCode,
  continueButton,
} from './fixtures';
import type { Page } from '@playwright/test';

// Runs in both projects ("js" and "nojs"): every flow must work with and without JavaScript.

const INCORRECT_CODE = 'Incorrect code.';
const PASSWORD_INCORRECT = 'Email address or password is incorrect.';

/** Fills the /sign-up first screen (the page must already be open) and submits it. */
async function submitSignUp(page: Page, email: string, password: string): Promise<void> {
  await expect(heading(page, 'Create your account')).toBeVisible();
  await field(page, 'Email address').fill(email);
  await field(page, 'Password').fill(password);
  await continueButton(page).click();
}

async function enterCode(page: Page, code: string): Promise<void> {
  await field(page, 'Verification code').fill(code);
  await continueButton(page).click();
}

async function expectDashboardFor(page: Page, email: string): Promise<void> {
  await expect(page).toHaveURL(URLS.dashboard);
  await expect(heading(page, 'Dashboard')).toBeVisible();
  // (Reached with a page load from the hosted island: let it hydrate before using its menus.)
  await hydrated(page);
  await expect(dd(page, 'Email')).toHaveText(email);
  await expect(dd(page, 'Session status')).toHaveText('active');
}

test.describe('sign-up', () => {
  test('creates an account after email verification', async ({ page, request }) => {
    const email = uniqueEmail('signup');
    const password = strongPassword();

    await test.step('fill the sign-up form', async () => {
      await open(page, '/sign-up');
      await submitSignUp(page, email, password);
    });

    await test.step('verify the email address', async () => {
      await expect(page).toHaveURL(URLS.verifyEmail);
      await expect(heading(page, 'Verify your email')).toBeVisible();
      await enterCode(page, await latestCode(request, email));
    });

    await test.step('the dashboard shows the new session', async () => {
      await expectDashboardFor(page, email);
      await expect(dd(page, 'User ID')).not.toBeEmpty();
      await expect(dd(page, 'Session ID')).not.toBeEmpty();
      await expect(dd(page, 'Organization')).toHaveText('None');
      await expect(dd(page, 'Organization ID')).toHaveText('None');
      await expect(dd(page, 'Role')).toHaveText('None');
    });

    await test.step('the new account can sign in with its password', async () => {
      await signOut(page);
      await signIn(page, email, password);
      await expect(dd(page, 'Email')).toHaveText(email);
    });
  });

  test('a wrong code is refused, the right one still works', async ({ page, request }) => {
    const email = uniqueEmail('signup-wrong-code');

    await open(page, '/sign-up');
    await submitSignUp(page, email, strongPassword());
    await expect(page).toHaveURL(URLS.verifyEmail);
    const code = await latestCode(request, email);

    await test.step('wrong code', async () => {
      await enterCode(page, wrongCode(code));
      await expect(alert(page, INCORRECT_CODE)).toBeVisible();
      await expect(page).not.toHaveURL(URLS.dashboard);
    });

    await test.step('right code', async () => {
      await enterCode(page, code);
      await expectDashboardFor(page, email);
    });
  });

  test('a too-short password is refused', async ({ page }) => {
    await open(page, '/sign-up');
    await submitSignUp(page, uniqueEmail('signup-short'), 'Sh0rt-x');
    await expect(alert(page, 'Your password must contain 8 or more characters.')).toBeVisible();
    await expect(page).not.toHaveURL(URLS.verifyEmail);
  });

  test('a breached password is refused', async ({ page }) => {
    await open(page, '/sign-up');
    await submitSignUp(page, uniqueEmail('signup-breached'), 'password123');
    await expect(
      alert(
        page,
        'This password has been found as part of a breach and can not be used, please try another password.',
      ),
    ).toBeVisible();
    await expect(page).not.toHaveURL(URLS.verifyEmail);
  });

  test('an existing email is not revealed (enumeration protection)', async ({ page, request }) => {
    const email = uniqueEmail('signup-existing');
    await createUser(request, { email, password: strongPassword() });

    await test.step('the verification step appears as for a new address', async () => {
      await open(page, '/sign-up');
      await submitSignUp(page, email, strongPassword());
      await expect(page).toHaveURL(URLS.verifyEmail);
      await expect(heading(page, 'Verify your email')).toBeVisible();
    });

    await test.step('any code is incorrect', async () => {
      await enterCode(page, '123456');
      await expect(alert(page, INCORRECT_CODE)).toBeVisible();
      await expect(page).not.toHaveURL(URLS.dashboard);
    });

    await test.step('the owner gets a notice without a code', async () => {
      await expect
        .poll(async () => (await outbox(request, email)).length, { timeout: 5_000 })
        .toBeGreaterThan(0);
      const messages = await outbox(request, email);
      expect(messages.every((m) => m.code === null || m.code === undefined)).toBe(true);
    });
  });
});

test.describe('sign-in', () => {
  test('with email address and password', async ({ page, request }) => {
    const email = uniqueEmail('signin');
    const password = strongPassword();
    const user = await createUser(request, { email, password });

    await open(page, '/sign-in');
    await submitSignIn(page, email, password);
    await expectDashboardFor(page, email);
    await expect(dd(page, 'User ID')).toHaveText(user.id);
  });

  test('a crafted link cannot put its own words in the error alert', async ({ page }) => {
    // The no-JavaScript error round trip carries the error in the URL (`__path`, `__err`); a link
    // anyone can write must not show its own text on the sign-in page.
    const carried = (error: object) =>
      encodeURIComponent(Buffer.from(JSON.stringify(error)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'));
    const spoof = 'Your account was suspended, call 555 0100';
    await open(page, `/sign-in?__path=/api/sign_in/start&__err=${carried({ code: 'malformed_request', detail: spoof })}`);
    await expect(alert(page, 'The request is malformed.')).toBeVisible();
    await expect(page.getByText(spoof)).toHaveCount(0);

    await open(page, `/sign-in?__path=/api/sign_in/start&__err=${carried({ code: 'form_param_missing', detail: 'Account suspended call us' })}`);
    await expect(alert(page, 'A required field is missing.')).toBeVisible();
    await expect(page.getByText('Account suspended')).toHaveCount(0);

    // What the server itself carries there still shows.
    await open(page, `/sign-in?__path=/api/sign_in/start&__err=${carried({ code: 'too_many_requests', n: 7 })}`);
    await expect(alert(page, 'Too many requests. Please try again in 7 seconds.')).toBeVisible();
  });

  test('a wrong password is refused', async ({ page, request }) => {
    const email = uniqueEmail('signin-wrong');
    await createUser(request, { email, password: strongPassword() });

    await open(page, '/sign-in');
    await submitSignIn(page, email, strongPassword());
    await expect(alert(page, PASSWORD_INCORRECT)).toBeVisible();
    await expect(page).not.toHaveURL(URLS.dashboard);
  });

  test('an unknown email gets the same error as a wrong password', async ({ page }) => {
    await open(page, '/sign-in');
    await submitSignIn(page, uniqueEmail('signin-unknown'), strongPassword());
    await expect(alert(page, PASSWORD_INCORRECT)).toBeVisible();
    await expect(page).not.toHaveURL(URLS.dashboard);
  });

  test('with an email code', async ({ page, request }) => {
    const email = uniqueEmail('signin-code');
    await createUser(request, { email, password: strongPassword() });

    await test.step('choose another method', async () => {
      await open(page, '/sign-in');
      await expect(heading(page, 'Sign in')).toBeVisible();
      await field(page, 'Email address').fill(email);
      await clickAction(page, 'Use another method');
      await expect(page).toHaveURL(URLS.factorOne);
    });

    await test.step('email code', async () => {
      await clickAction(page, 'Email code');
      await expect(field(page, 'Verification code')).toBeVisible();
      await enterCode(page, await latestCode(request, email));
    });

    await expectDashboardFor(page, email);
  });

  test('while signed in, /sign-in goes to the dashboard (single session)', async ({ page, request }) => {
    const email = uniqueEmail('signin-single');
    const password = strongPassword();
    await createUser(request, { email, password });

    await signIn(page, email, password);
    await page.goto('/sign-in');
    await expect(page).toHaveURL(URLS.dashboard);
    await expect(dd(page, 'Email')).toHaveText(email);
  });
});

test.describe('forgot password', () => {
  async function startReset(page: Page, request: Parameters<typeof createUser>[0], email: string) {
    await test.step('request a reset code', async () => {
      await open(page, '/sign-in');
      await expect(heading(page, 'Sign in')).toBeVisible();
      await field(page, 'Email address').fill(email);
      await clickAction(page, 'Forgot password?');
      await expect(page).toHaveURL(URLS.resetPassword);
    });

    await test.step('enter the code', async () => {
      await enterCode(page, await latestCode(request, email));
      await expect(field(page, 'New password')).toBeVisible();
      await expect(field(page, 'Confirm password')).toBeVisible();
    });
  }

  test('resets the password and signs in', async ({ page, request }) => {
    const email = uniqueEmail('reset');
    const oldPassword = strongPassword();
    const newPassword = strongPassword();
    await createUser(request, { email, password: oldPassword });

    await startReset(page, request, email);

    await test.step('set the new password', async () => {
      await field(page, 'New password').fill(newPassword);
      await field(page, 'Confirm password').fill(newPassword);
      await expect(page.getByRole('checkbox', { name: 'Sign out of all other devices', exact: true })).toBeChecked();
      await page.getByRole('button', { name: 'Reset password', exact: true }).click();
      await expectDashboardFor(page, email);
    });

    await signOut(page);

    await test.step('the old password no longer works', async () => {
      await open(page, '/sign-in');
      await submitSignIn(page, email, oldPassword);
      await expect(alert(page, PASSWORD_INCORRECT)).toBeVisible();
    });

    await test.step('the new password works', async () => {
      await signIn(page, email, newPassword);
      await expect(dd(page, 'Email')).toHaveText(email);
    });
  });

  test('mismatched confirmation is refused', async ({ page, request }) => {
    const email = uniqueEmail('reset-mismatch');
    await createUser(request, { email, password: strongPassword() });

    await startReset(page, request, email);

    await field(page, 'New password').fill(strongPassword());
    await field(page, 'Confirm password').fill(strongPassword());
    await page.getByRole('button', { name: 'Reset password', exact: true }).click();
    await expect(alert(page, "Passwords don't match.")).toBeVisible();
    await expect(page).not.toHaveURL(URLS.dashboard);
  });
});

test.describe('protected pages and redirects', () => {
  test('/dashboard signed out goes to sign-in, then back', async ({ page, request }) => {
    const email = uniqueEmail('protect');
    const password = strongPassword();
    await createUser(request, { email, password });

    await open(page, '/dashboard');
    await expect(page).toHaveURL(/\/sign-in\?redirect_url=/);
    await submitSignIn(page, email, password);
    await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:3100\/dashboard$/);
    await expect(dd(page, 'Email')).toHaveText(email);
  });

  test('the original destination with its query is kept', async ({ page, request }) => {
    const email = uniqueEmail('protect-query');
    const password = strongPassword();
    await createUser(request, { email, password });

    await open(page, '/dashboard?tab=x');
    await expect(page).toHaveURL(/\/sign-in\?redirect_url=/);
    await submitSignIn(page, email, password);
    await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:3100\/dashboard\?tab=x$/);
    await expect(heading(page, 'Dashboard')).toBeVisible();
  });

  for (const target of ['https://evil.example', '//evil.example/steal']) {
    test(`an off-site redirect_url is ignored: ${target}`, async ({ page, request }) => {
      const email = uniqueEmail('open-redirect');
      const password = strongPassword();
      await createUser(request, { email, password });

      await open(page, `/sign-in?redirect_url=${encodeURIComponent(target)}`);
      await submitSignIn(page, email, password);
      await expect(page).toHaveURL('http://127.0.0.1:3100/dashboard');
      await expect(heading(page, 'Dashboard')).toBeVisible();
    });
  }
});

test.describe('sign-out and home page', () => {
  test('signing out lands on the home page and protects the dashboard again', async ({ page, request }) => {
    const email = uniqueEmail('signout');
    const password = strongPassword();
    await createUser(request, { email, password });

    await signIn(page, email, password);
    await signOut(page);

    await test.step('the dashboard requires signing in again', async () => {
      await open(page, '/dashboard');
      await expect(page).toHaveURL(/\/sign-in\?redirect_url=/);
      await expect(heading(page, 'Sign in')).toBeVisible();
    });
  });

  test('home page shows the signed-in state', async ({ page, request }) => {
    const email = uniqueEmail('home');
    const password = strongPassword();
    await createUser(request, { email, password });

    await test.step('signed out', async () => {
      await open(page, '/');
      await expect(page.getByText('You are signed out')).toBeVisible();
      await expect(page.getByText('You are signed in as')).toHaveCount(0);
    });

    await signIn(page, email, password);

    await test.step('signed in', async () => {
      await open(page, '/');
      await expect(page.getByText(`You are signed in as ${email}`)).toBeVisible();
      await expect(page.getByText('You are signed out')).toHaveCount(0);
    });
  });
});

test('a user menu opened before the page hydrates stays open', async ({ page, request }) => {
  const email = uniqueEmail('early-menu');
  const password = strongPassword();
  await createUser(request, { email, password });
  await signIn(page, email, password);

  // A slow network: the page's wasm arrives only after the user has opened the menu. (Routing
  // turns Playwright's cache off, so the wasm is fetched again.)
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/pkg/*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/dashboard', { waitUntil: 'domcontentloaded' });
  await userMenu(page).click();
  const manage = page.locator('details.user-button').getByRole('link', { name: 'Manage account' });
  await expect(manage).toBeVisible();

  release();
  await hydrated(page);
  await expect(page.locator('details.user-button')).toHaveAttribute('open', '');
  await expect(manage).toBeVisible();
  // And the opener still closes it.
  await userMenu(page).click();
  await expect(manage).toBeHidden();
});
