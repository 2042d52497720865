import { test, expect, heading, createUser, uniqueEmail, strongPassword, submitSignIn, open, URLS } from './fixtures';
import type { Page } from '@playwright/test';
import { SERVERS, base } from './servers';

// The front end's weight as transferred (README, "Front-end weight"): /sign-in's stylesheet,
// JavaScript and wasm go out precompressed (brotli), and their sum stays under the budget of
// 170 KB. The page hydrates only its sign-in island, from the islands bundle
// (see README, Architecture).
const MAIN = base(SERVERS.main);
const BUDGET_BYTES = 170_000;
// No page of the hosted portal above 250 KB: loaded from the server, a portal page
// hydrates only its content, an island from the portal bundle.
const PORTAL_BUDGET_BYTES = 250_000;

type Asset = { url: string; encoding: string | undefined; bytes: number };

/** Records every /pkg/ response of `page`: its path, its encoding and its body's size. */
function recordAssets(page: Page): Asset[] {
  const assets: Asset[] = [];
  page.on('requestfinished', async (request) => {
    const url = new URL(request.url());
    if (!url.pathname.startsWith('/pkg/')) return;
    const response = await request.response();
    const sizes = await request.sizes();
    assets.push({
      url: url.pathname,
      encoding: response?.headers()['content-encoding'],
      bytes: sizes.responseBodySize,
    });
  });
  return assets;
}

test('the sign-in page loads its assets compressed and within the budget', async ({ page, js }) => {
  const assets = recordAssets(page);
  await page.goto(`${MAIN}/sign-in`);
  await expect(heading(page, 'Sign in')).toBeVisible();
  if (js) {
    await expect(page.locator('.hosted-island')).toHaveAttribute('data-hydrated', 'true');
  }
  await page.waitForLoadState('networkidle');
  const wasm = assets.filter((a) => a.url.endsWith('.wasm'));
  if (js) {
    expect(wasm.length, JSON.stringify(assets)).toBe(1);
    expect(wasm[0].url).toContain('vestibule_islands');
  }
  for (const a of assets.filter((a) => /\.(wasm|js)$/.test(a.url))) {
    expect(a.encoding, a.url).toBe('br');
  }
  const total = assets.reduce((sum, a) => sum + a.bytes, 0);
  console.log(`/sign-in /pkg/* transferred: ${total} bytes`, assets);
  expect(total).toBeLessThan(BUDGET_BYTES);
});

// (The demo's pages load the app's whole-page bundle; `bench/size.sh` measures it on `/`.)
// `/organization` on a server with organizations.
const PORTAL_PAGES: [string, string][] = [
  ['/user', MAIN],
  ['/organization', base(SERVERS.orgsMulti)],
];
for (const [path, server] of PORTAL_PAGES) {
  test(`the portal page ${path} loads the portal bundle within the budget`, async ({ page, browser, js, request }) => {
    const email = uniqueEmail('weight');
    const password = strongPassword();
    await createUser(request, { email, password }, server);
    await open(page, `${server}/sign-in`);
    await submitSignIn(page, email, password);
    await expect(page).toHaveURL(new RegExp(`^${server}/dashboard`));
    // A fresh browser (no cached assets) with the same session cookie.
    const fresh = await browser.newContext({
      storageState: await page.context().storageState(),
      javaScriptEnabled: js,
    });
    const portal = await fresh.newPage();
    const assets = recordAssets(portal);
    await open(portal, `${server}${path}`);
    await expect(portal).toHaveURL(new RegExp(`${path}(\\?.*)?$`));
    await expect(heading(portal, path === '/user' ? 'Account' : 'Organization')).toBeVisible();
    await portal.waitForLoadState('networkidle');
    if (js) {
      await expect(portal.locator('.hosted-island')).toHaveAttribute('data-hydrated', 'true');
    }
    const wasm = assets.filter((a) => a.url.endsWith('.wasm')).map((a) => a.url);
    // (Without JavaScript the page's preload links may still fetch the bundle.)
    if (js) expect(wasm, JSON.stringify(assets)).toEqual(['/pkg/vestibule_portal.wasm']);
    for (const url of wasm) expect(url, JSON.stringify(assets)).toBe('/pkg/vestibule_portal.wasm');
    const total = assets.reduce((sum, a) => sum + a.bytes, 0);
    console.log(`${path} /pkg/* transferred: ${total} bytes`, assets);
    expect(total).toBeLessThan(PORTAL_BUDGET_BYTES);
    await fresh.close();
  });
}

test('an in-app link to /sign-in loads the hosted page with its island', async ({ page, js }) => {
  await open(page, `${MAIN}/`);
  const assets = recordAssets(page);
  await page.getByRole('link', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(URLS.signIn);
  await expect(heading(page, 'Sign in')).toBeVisible();
  if (js) {
    // The app's bundle has no sign-in: the router's navigation became a page load, and the page
    // hydrates its island from the islands bundle, with the focus on its heading.
    await expect(page.locator('.hosted-island')).toHaveAttribute('data-hydrated', 'true');
    await expect(heading(page, 'Sign in')).toBeFocused();
    expect(assets.map((a) => a.url)).toContain('/pkg/vestibule_islands.wasm');
  }
  // One history entry for the sign-in page: back returns to the home page.
  await page.goBack();
  await expect(page).toHaveURL(URLS.home);
  await expect(page.getByText('You are signed out')).toBeVisible();
});
