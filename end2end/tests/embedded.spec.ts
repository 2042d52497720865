import {
  test,
  expect,
  at,
  continueButton,
  dd,
  ddText,
  field,
  heading,
  latestCode,
  open,
  strongPassword,
  uniqueEmail,
} from './fixtures';
import { SERVERS, base } from './servers';

// An app of its own that embeds Vestibule (examples/embedded), with JavaScript on and off: the
// hosted pages inside its layout, its own URL for the choose-organization task, and its protected
// page whose server function asks vestibule::api::auth() who is calling.
const APP = base(SERVERS.embedded);

test('sign up, finish the task on the app\'s own page, see the protected projects', async ({ page, request }) => {
  const email = uniqueEmail('embedded');
  const password = strongPassword();
  const stamp = Date.now();

  await test.step('the app\'s own server function refuses a signed-out caller with 401', async () => {
    const res = await request.post(`${APP}/api/example/projects`, { headers: { Accept: 'application/json' } });
    expect(res.status()).toBe(401);
    expect((await res.json()).code).toBe('unauthenticated');
  });

  await test.step('the protected page sends a signed-out visitor to sign-in, inside the app', async () => {
    await open(page, `${APP}/projects`);
    await expect(page).toHaveURL(`${APP}/sign-in?redirect_url=/projects`);
    await expect(heading(page, 'Sign in')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Acme Projects', exact: true })).toBeVisible();
  });

  await test.step('sign up with the hosted pages', async () => {
    await open(page, `${APP}/sign-up`);
    await expect(heading(page, 'Create your account')).toBeVisible();
    await field(page, 'Email address').fill(email);
    await field(page, 'Password').fill(password);
    await continueButton(page).click();
    await expect(heading(page, 'Verify your email')).toBeVisible();
    await field(page, 'Verification code').fill(await latestCode(request, email, { base: APP }));
    await continueButton(page).click();
  });

  await test.step('the task, at the app\'s own URL', async () => {
    await expect(page).toHaveURL(at(APP, '/welcome/organization'));
    await expect(page.getByText('Welcome to Acme Projects! One more step.')).toBeVisible();
    await expect(heading(page, 'Set up your organization')).toBeVisible();
    await field(page, 'Name').fill(`Rocket ${stamp}`);
    await page.getByRole('button', { name: 'Create organization', exact: true }).click();
  });

  await test.step('the protected page, from the app\'s own server function', async () => {
    await expect(page).toHaveURL(at(APP, '/projects'));
    await expect(heading(page, 'Projects')).toBeVisible();
    await expect(dd(page, 'Organization')).toHaveText(`rocket-${stamp}`);
    await expect(dd(page, 'Role')).toHaveText('org:admin');
    expect(await ddText(page, 'User ID')).toMatch(/^user_/);
    await expect(page.getByRole('list', { name: 'Your projects' }).getByRole('listitem')).toHaveCount(2);
  });

  await test.step('the account portal, under the app\'s layout', async () => {
    await open(page, `${APP}/user`);
    await expect(heading(page, 'Account')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Acme Projects', exact: true })).toBeVisible();
  });
});
