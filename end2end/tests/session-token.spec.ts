import { test, expect, at, createUser, ddText, hydrated, passwordSignIn, strongPassword, uniqueEmail } from './fixtures';
import { SERVERS, base } from './servers';

// Session tokens for other services (README, "Session tokens for other services"): the browser
// kit's use_session_token() on the demo dashboard (JavaScript), and the same endpoint as a page's
// own cookie reaches it (no JS).
const MAIN = base(SERVERS.main);

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

test('the signed-in browser gets a session token for its session', async ({ page, request, js }) => {
  const email = uniqueEmail('session-token');
  const password = strongPassword();
  const user = await createUser(request, { email, password }, MAIN);
  await passwordSignIn(page, MAIN, email, password);
  await expect(page).toHaveURL(at(MAIN, '/dashboard'));
  const sessionId = await ddText(page, 'Session ID');

  let jwt: string;
  if (js) {
    // The sign-in reaches the dashboard with a page load: its button works once it hydrates.
    await hydrated(page);
    await page.getByRole('button', { name: 'Get session token', exact: true }).click();
    const shown = page.getByLabel('Session token', { exact: true });
    await expect(shown).toBeVisible();
    jwt = ((await shown.textContent()) ?? '').trim();
    // Asked again, the cached token comes back (it has most of its minute left).
    await page.getByRole('button', { name: 'Get session token', exact: true }).click();
    await expect(shown).toHaveText(jwt);
  } else {
    // Without script the kit cannot fetch; the endpoint answers the page's own cookie.
    const response = await page.request.post(`${MAIN}/api/sessions/token`, {
      headers: { Origin: MAIN, Accept: 'application/json' },
      form: {},
    });
    expect(response.status(), await response.text()).toBe(200);
    jwt = (await response.json()).jwt;
  }
  const c = claims(jwt);
  expect(c.sub).toBe(user.id);
  expect(c.sid).toBe(sessionId);
  expect(c.sts).toBe('active');
  expect(c.iss).toBe(MAIN);
  expect(c.azp).toBe(MAIN);
  expect((c.exp as number) - (c.iat as number)).toBe(60);

  const jwks = await request.get(`${MAIN}/.well-known/jwks.json`);
  const header = JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'));
  expect(header.alg).toBe('ES256');
  expect((await jwks.json()).keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
});
