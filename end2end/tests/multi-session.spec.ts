import {
  test,
  expect,
  at as atBase,
  clickAction,
  createUser,
  dd,
  heading,
  open,
  strongPassword,
  uniqueEmail,
  userMenu,
  signInOn,
} from './fixtures';
import { SERVERS, base } from './servers';
import type { Page } from '@playwright/test';

// Several accounts on one browser (multi-session mode), with JavaScript on and off.
const MULTI = base(SERVERS.multi);
const at = (path: string) => atBase(MULTI, path);

async function signInHere(page: Page, email: string, password: string) {
  await signInOn(page, MULTI, email, password);
  await expect(dd(page, 'Email')).toHaveText(email);
}

test('two accounts: add, switch, sign out one, sign out all', async ({ page, request }) => {
  const a = { email: uniqueEmail('multi-a'), password: strongPassword() };
  const b = { email: uniqueEmail('multi-b'), password: strongPassword() };
  await createUser(request, a, MULTI);
  await createUser(request, b, MULTI);

  await test.step('sign in the first account', async () => {
    await open(page, `${MULTI}/sign-in`);
    await signInHere(page, a.email, a.password);
  });

  await test.step('add a second account', async () => {
    await userMenu(page).click();
    await clickAction(page, 'Add account');
    await signInHere(page, b.email, b.password);
  });

  await test.step('both are listed in the account chooser', async () => {
    await open(page, `${MULTI}/sign-in/choose`);
    await expect(heading(page, 'Choose an account')).toBeVisible();
    await expect(page.getByRole('button', { name: `Switch to ${a.email}` })).toBeVisible();
    await expect(page.getByRole('button', { name: `Switch to ${b.email}` })).toBeVisible();
  });

  await test.step('switch back to the first from the user menu', async () => {
    await open(page, `${MULTI}/dashboard`);
    await userMenu(page).click();
    await page.getByRole('button', { name: `Switch to ${a.email}` }).click();
    await expect(dd(page, 'Email')).toHaveText(a.email);
  });

  await test.step('signing out one leaves the other signed in', async () => {
    await userMenu(page).click();
    await clickAction(page, 'Sign out');
    await expect(page).toHaveURL(at('/dashboard'));
    await expect(dd(page, 'Email')).toHaveText(b.email);
  });

  await test.step('sign out of all accounts', async () => {
    await userMenu(page).click();
    await clickAction(page, 'Sign out of all accounts');
    await expect(page).toHaveURL(at('/'));
    await expect(page.getByText('You are signed out')).toBeVisible();
  });
});
