// Time to interactive of /sign-in (and of the portal's /user, given a session cookie) on a
// simulated slow 4G link (README, "Front-end weight"), Lighthouse's settings:
// 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, the CPU slowed 4x. A cold cache each run;
// "interactive" is when the page has hydrated ([data-hydrated=true]: the page, or its island),
// the moment its forms stop being plain posts. Prints the median of RUNS and the bytes of /pkg/* it took.
// Usage (bench/size.sh starts the server): node bench/tti.mjs http://127.0.0.1:3392 [name=value]
import { createRequire } from 'node:module';
const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const { chromium } = require('@playwright/test');

const base = process.argv[2] ?? 'http://127.0.0.1:3392';
const cookie = process.argv[3];
const runs = Number(process.env.RUNS ?? 5);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
const pages = [['/sign-in', null]];
if (cookie) pages.push(['/user', cookie]);
for (const [path, session] of pages) {
  const times = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    if (session) {
      const [name, ...value] = session.split('=');
      await context.addCookies([{ name, value: value.join('='), url: base }]);
    }
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 150,
      downloadThroughput: (1.6 * 1024 * 1024) / 8,
      uploadThroughput: (750 * 1024) / 8,
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    let pkg = 0;
    page.on('requestfinished', async (request) => {
      if (new URL(request.url()).pathname.startsWith('/pkg/')) {
        pkg += (await request.sizes()).responseBodySize;
      }
    });
    const start = Date.now();
    await page.goto(`${base}${path}`);
    await page.locator('[data-hydrated="true"]').first().waitFor({ timeout: 120_000 });
    times.push(Date.now() - start);
    bytes = pkg;
    await context.close();
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`${path} on slow 4G: interactive after ${median} ms (median of ${runs}: ${times.join(', ')} ms), /pkg/* ${bytes} bytes`);
}
await browser.close();
