import {
  test,
  expect,
  action,
  alert,
  backend,
  clickAction,
  createUser,
  dd,
  field,
  heading,
  open,
  outbox,
  strongPassword,
  uniqueEmail,
  userMenu,
  orgMenu,
  signInOn,
  type User,
  at as atBase,
} from './fixtures';
import { SERVERS, base } from './servers';
import type { APIRequestContext, Page } from '@playwright/test';

// Organizations (switcher, portal, invitations) and several accounts, with JavaScript on and off.
// The instance allows personal accounts and several accounts per browser.
const ORGS = base(SERVERS.orgsMulti);
const at = (path: string) => atBase(ORGS, path);

async function person(request: APIRequestContext, prefix: string) {
  const password = strongPassword();
  const user = await createUser(request, { email: uniqueEmail(prefix), password }, ORGS);
  return { ...user, password };
}

async function organization(
  request: APIRequestContext,
  name: string,
  admin: User,
  members: User[] = [],
) {
  return backend(request, ORGS, '/v1/organizations', {
    name: `${name} ${Math.random().toString(36).slice(2, 7)}`,
    created_by: admin.id,
    members: members.map((m) => ({ user_id: m.id, role: 'org:member' })),
  });
}

async function chooseOrganization(page: Page, name: string) {
  await orgMenu(page).click();
  await page.getByRole('button', { name, exact: true }).click();
  await expect(dd(page, 'Organization')).toHaveText(name);
}

test('the organization switcher changes the dashboard, and creates organizations', async ({ page, request }) => {
  const u = await person(request, 'switcher');
  const other = await person(request, 'switcher-admin');
  const acme = await organization(request, 'Acme', u);
  const beta = await organization(request, 'Beta', other, [u]);

  await test.step('sign in', async () => {
    await open(page, `${ORGS}/sign-in`);
    await signInOn(page, ORGS, u.email, u.password);
    await expect(dd(page, 'Organization')).toHaveText('None');
  });

  await test.step('switch to an organization the user administers', async () => {
    await chooseOrganization(page, acme.name);
    await expect(dd(page, 'Role')).toHaveText('org:admin');
    await expect(dd(page, 'Organization ID')).toHaveText(acme.id);
  });

  await test.step('switch to one the user is a member of', async () => {
    await chooseOrganization(page, beta.name);
    await expect(dd(page, 'Role')).toHaveText('org:member');
  });

  await test.step('back to the personal account', async () => {
    await orgMenu(page).click();
    await clickAction(page, 'Personal account');
    await expect(dd(page, 'Organization')).toHaveText('None');
  });

  await test.step('create an organization from the switcher', async () => {
    await orgMenu(page).click();
    await clickAction(page, 'Create organization');
    await expect(heading(page, 'Set up your organization')).toBeVisible();
    const name = `Gamma ${Date.now()}`;
    await field(page, 'Name').fill(name);
    await page.getByRole('button', { name: 'Create organization', exact: true }).click();
    await expect(page).toHaveURL(at('/dashboard'));
    await expect(dd(page, 'Organization')).toHaveText(name);
    await expect(dd(page, 'Role')).toHaveText('org:admin');
  });
});

test('a member cannot open admin functions', async ({ page, request }) => {
  const admin = await person(request, 'portal-admin');
  const member = await person(request, 'portal-member');
  const org = await organization(request, 'Members', admin, [member]);

  await test.step('sign in and choose the organization', async () => {
    await open(page, `${ORGS}/sign-in`);
    await signInOn(page, ORGS, member.email, member.password);
    await chooseOrganization(page, org.name);
  });

  await test.step('/admin is not found for a member', async () => {
    await open(page, `${ORGS}/admin`);
    await expect(heading(page, 'Page not found')).toBeVisible();
  });

  await test.step('the portal offers a member no admin controls', async () => {
    await open(page, `${ORGS}/organization`);
    await expect(heading(page, 'Organization')).toBeVisible();
    await expect(page.getByRole('cell', { name: admin.email, exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Send invitation' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: `Remove ${admin.email}` })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Save' })).toHaveCount(0);
  });
});

test('an admin invites, changes roles, removes members and cannot leave as the last admin', async ({ page, request }) => {
  const admin = await person(request, 'manage-admin');
  const member = await person(request, 'manage-member');
  const org = await organization(request, 'Managed', admin, [member]);
  const invitee = uniqueEmail('manage-invitee');

  await test.step('open the organization portal', async () => {
    await open(page, `${ORGS}/sign-in`);
    await signInOn(page, ORGS, admin.email, admin.password);
    await chooseOrganization(page, org.name);
    await orgMenu(page).click();
    await clickAction(page, 'Manage organization');
    await expect(heading(page, 'Organization')).toBeVisible();
  });

  await test.step('send an invitation', async () => {
    await page.getByLabel('Email address', { exact: true }).fill(invitee);
    await page.getByLabel('Role', { exact: true }).selectOption('org:admin');
    await page.getByRole('button', { name: 'Send invitation', exact: true }).click();
    await expect(page.getByText(`${invitee} (org:admin)`)).toBeVisible();
    const mail = await outbox(request, invitee, ORGS);
    expect(mail[0].body).toContain(`${ORGS}/invitation?token=`);
  });

  await test.step('revoke it', async () => {
    await page.getByRole('button', { name: `Revoke invitation for ${invitee}` }).click();
    await expect(page.getByText(`${invitee} (org:admin)`)).toHaveCount(0);
  });

  await test.step('change a role and back', async () => {
    await page.getByLabel(`Role of ${member.email}`, { exact: true }).selectOption('org:admin');
    await page.getByRole('button', { name: `Change role of ${member.email}` }).click();
    await expect(page.getByRole('row', { name: member.email }).getByRole('cell', { name: 'org:admin', exact: true })).toBeVisible();
    await page.getByLabel(`Role of ${member.email}`, { exact: true }).selectOption('org:member');
    await page.getByRole('button', { name: `Change role of ${member.email}` }).click();
    await expect(page.getByRole('row', { name: member.email }).getByRole('cell', { name: 'org:member', exact: true })).toBeVisible();
  });

  await test.step('remove a member', async () => {
    await page.getByRole('button', { name: `Remove ${member.email}` }).click();
    await expect(page.getByRole('cell', { name: member.email, exact: true })).toHaveCount(0);
  });

  await test.step('the last admin cannot leave', async () => {
    await page.getByRole('button', { name: 'Leave organization', exact: true }).click();
    await expect(alert(page, 'An organization must keep at least one admin.')).toBeVisible();
  });
});

test('an invitation signs up a new user without a code and joins', async ({ page, request }) => {
  const admin = await person(request, 'invite-admin');
  const org = await organization(request, 'Inviting', admin);
  const email = uniqueEmail('invite-new');
  const invitation = await backend(request, ORGS, `/v1/organizations/${org.id}/invitations`, {
    email,
    role: 'org:member',
  });
  expect(invitation.status).toBe('pending');
  const mail = await outbox(request, email, ORGS);
  expect(mail[0].body).toContain(invitation.url);

  await test.step('the link opens sign-up with the address; no code is asked', async () => {
    await open(page, invitation.url);
    await expect(heading(page, 'Create your account')).toBeVisible();
    await expect(field(page, 'Email address')).toHaveValue(email);
    await field(page, 'Password').fill(strongPassword());
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await expect(page).toHaveURL(at('/dashboard'));
    await expect(dd(page, 'Email')).toHaveText(email);
    await expect(dd(page, 'Organization')).toHaveText(org.name);
    await expect(dd(page, 'Role')).toHaveText('org:member');
  });

  await test.step('the link works once', async () => {
    // The link works once.
    await page.context().clearCookies();
    await open(page, invitation.url);
    await expect(page.getByRole('alert').filter({ hasText: 'This invitation has already been accepted.' })).toBeVisible();
  });
});

test('an invitation signs in an existing user and joins; a revoked one says so', async ({ page, request }) => {
  const admin = await person(request, 'invite-admin2');
  const known = await person(request, 'invite-known');
  const org = await organization(request, 'Known', admin);
  const invitation = await backend(request, ORGS, `/v1/organizations/${org.id}/invitations`, {
    email: known.email,
    role: 'org:admin',
  });

  await test.step('the link signs the invitee in, who joins', async () => {
    await open(page, invitation.url);
    await signInOn(page, ORGS, known.email, known.password);
    await expect(dd(page, 'Organization')).toHaveText(org.name);
    await expect(dd(page, 'Role')).toHaveText('org:admin');
  });

  // A second invitation, for an address that is not signed in.
  const other = await organization(request, 'Elsewhere', admin);
  const stranger = uniqueEmail('invite-stranger');
  const second = await backend(request, ORGS, `/v1/organizations/${other.id}/invitations`, {
    email: stranger,
    role: 'org:member',
  });

  await test.step('another account signed in: the page says so', async () => {
    await open(page, second.url);
    await expect(
      page.getByRole('alert').filter({ hasText: `was sent to ${stranger}, but you are signed in as ${known.email}` }),
    ).toBeVisible();
    await expect(action(page, 'Add account')).toBeVisible();
  });

  await test.step('revoked by an admin: the link says so', async () => {
    await page.context().clearCookies();
    await open(page, `${ORGS}/sign-in`);
    await signInOn(page, ORGS, admin.email, admin.password);
    await chooseOrganization(page, other.name);
    await open(page, `${ORGS}/organization`);
    await page.getByRole('button', { name: `Revoke invitation for ${stranger}` }).click();
    await expect(page.getByText(`${stranger} (org:member)`)).toHaveCount(0);
    await page.context().clearCookies();
    await open(page, second.url);
    await expect(page.getByRole('alert').filter({ hasText: 'This invitation has been revoked.' })).toBeVisible();
  });
});

test('switching to a pending account takes the user to its task', async ({ page, request }) => {
  const a = await person(request, 'pending-a');
  const b = await person(request, 'pending-b');

  await test.step('sign in two accounts', async () => {
    await open(page, `${ORGS}/sign-in`);
    await signInOn(page, ORGS, b.email, b.password);
    await userMenu(page).click();
    await clickAction(page, 'Add account');
    await signInOn(page, ORGS, a.email, a.password);
    await expect(dd(page, 'Email')).toHaveText(a.email);
  });

  await test.step('switching to the pending one opens its task', async () => {
    await backend(request, ORGS, `/v1/users/${b.id}/password_compromised`);
    await userMenu(page).click();
    await page.getByRole('button', { name: `Switch to ${b.email}` }).click();
    await expect(page).toHaveURL(at('/sign-in/tasks/reset-password'));
    await expect(heading(page, 'Reset your password')).toBeVisible();
  });
});

test('switching organizations on the organization page shows the one chosen', async ({ page, request }) => {
  const admin = await person(request, 'switch-portal');
  const first = await organization(request, 'First', admin);
  const second = await organization(request, 'Second', admin);
  await open(page, `${ORGS}/sign-in`);
  await signInOn(page, ORGS, admin.email, admin.password);
  await chooseOrganization(page, first.name);
  await open(page, `${ORGS}/organization`);
  await expect(dd(page, 'Name')).toHaveText(first.name);
  await orgMenu(page).click();
  await page.getByRole('button', { name: second.name, exact: true }).click();
  // The page stays, and shows the organization now active.
  await expect(dd(page, 'Name')).toHaveText(second.name);
  await expect(page).toHaveURL(at('/organization'));
  await expect(heading(page, 'Organization')).toBeVisible();
});
