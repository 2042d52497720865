import { test, expect, heading } from './fixtures';
import { SERVERS, base } from './servers';

// The front end's weight as transferred (issue 14): /sign-in's stylesheet, JavaScript and wasm go
// out precompressed (brotli), and their sum stays under the budget of 170 KB. The page
// hydrates only its sign-in island, from the islands bundle (see README, Architecture).
const MAIN = base(SERVERS.main);
const BUDGET_BYTES = 170_000;

test('the sign-in page loads its assets compressed and within the budget', async ({ page, js }) => {
  const assets: { url: string; encoding: string | undefined; bytes: number }[] = [];
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
