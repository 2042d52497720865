import { test, expect, at, createUser, dd, heading, open, passwordSignIn, strongPassword, uniqueEmail, userMenu, clickAction } from './fixtures';
import { SERVERS, base } from './servers';

// Two instances on one PostgreSQL database, as a load balancer without sticky sessions would
// send a browser to them, with JavaScript on and off: the session made through A is the session
// B sees, and signing out on B signs out on A.
const A = base(SERVERS.instanceA);
const B = base(SERVERS.instanceB);

test('sign in through one instance, use the dashboard through the other', async ({ page, request }) => {
  const email = uniqueEmail('instances');
  const password = strongPassword();
  await createUser(request, { email, password }, A);

  await test.step('sign in on instance A', async () => {
    await passwordSignIn(page, A, email, password);
    await expect(page).toHaveURL(at(A, '/dashboard'));
    await expect(heading(page, 'Dashboard')).toBeVisible();
  });

  await test.step('instance B shows the same session', async () => {
    await open(page, `${B}/dashboard`);
    await expect(page).toHaveURL(at(B, '/dashboard'));
    await expect(dd(page, 'Email')).toHaveText(email);
    await expect(dd(page, 'Session status')).toHaveText('active');
  });

  await test.step('sign out on B, and A sees it at once', async () => {
    await userMenu(page).click();
    await clickAction(page, 'Sign out');
    await expect(page).toHaveURL(at(B, '/'));
    await expect(page.getByText('You are signed out')).toBeVisible();
    await open(page, `${A}/dashboard`);
    await expect(page).toHaveURL(at(A, '/sign-in'));
    await expect(heading(page, 'Sign in')).toBeVisible();
  });
});
