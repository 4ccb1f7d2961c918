// End-to-end test of the reports page against the REAL truce demo, in a real (headless) Chromium
// (harness.mjs: Debian's chromium driven by playwright-core, logged in as the demo's `admin`):
//
//   cargo build -p truce && (cd web && npm ci)
//   node --test web/tests/reports.test.mjs      # TRUCE_BIN=... for another build
//
// The page opens on the last complete period (yesterday's daily report, UTC); a date after today is
// refused with a message naming the field, and the report shown stays; a period still under way is
// said to be incomplete; the report's map lies on land and sea with their credit under it; the browser
// reports no problem. Screenshot: target/screenshots/reports.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { READY_MS, screenshotPath, startSession } from './harness.mjs';

const SCREENSHOT = screenshotPath('reports.png');
const DAY_MS = 86400 * 1000;
const utcDate = (ms) => new Date(ms).toISOString().slice(0, 10);

let session;

before(async () => {
  session = await startSession({ demoArgs: ['--days', '2'], tmpPrefix: 'truce-reports-test-' });
});

after(async () => {
  await session?.close();
});

test('the reports page opens on yesterday\'s daily report, refuses a future date, and maps the coast', async () => {
  const { page } = session;
  const today = utcDate(Date.now());
  const yesterday = utcDate(Date.now() - DAY_MS);
  const frame = page.frameLocator('#report');

  // startSession logged in on the reports page, which then loaded its first report by itself.
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true', `first load${session.report()}`);
  assert.equal(await page.locator('#kind').inputValue(), 'daily');
  assert.equal(await page.locator('#date').inputValue(), yesterday, 'the last complete period');
  assert.equal(await page.locator('#date').getAttribute('max'), today);
  assert.equal(await page.locator('#from').getAttribute('max'), today);
  await frame.locator('h1').waitFor({ state: 'visible', timeout: READY_MS });
  const title = await frame.locator('h1').innerText();
  assert.match(title, new RegExp(`^Daily report ${yesterday}`));
  assert.ok(await page.locator('#notice').isHidden(), 'yesterday\'s period is over: no notice');
  assert.equal(await page.locator('#download-html').getAttribute('aria-disabled'), 'false', 'downloads offered');

  // The period's map: land and the seas under the lines and dots, on screen, and the data's credit.
  const map = frame.locator('svg.map').first();
  await map.scrollIntoViewIfNeeded();
  assert.ok(await map.locator('path.land').count() >= 1, 'land drawn');
  const coast = map.locator('path.coast');
  assert.ok(await coast.count() >= 1, 'the Black Sea or the Sea of Azov drawn');
  const box = await coast.first().boundingBox();
  assert.ok(box && box.width > 20 && box.height > 20, `the coast has an extent on the map: ${JSON.stringify(box)}`);
  const layers = await map.evaluate((svg) => [...svg.children].map((c) => c.getAttribute('class') || c.tagName));
  assert.ok(layers.lastIndexOf('coast') < layers.findIndex((c) => c === 'circle'), 'the coast is under the dots');
  assert.match(await frame.locator('figure p.credit').first().innerText(), /© OpenStreetMap contributors/);

  // A date after today: a message naming the field, the field back on the report shown, no request.
  const requests = [];
  const onRequest = (r) => { if (r.url().includes('/api/v1/reports/')) requests.push(r.url()); };
  page.on('request', onRequest);
  const future = utcDate(Date.now() + 2 * DAY_MS);
  await page.locator('#date').fill(future);
  await page.locator('#error').waitFor({ state: 'visible', timeout: 5_000 });
  const message = await page.locator('#error').innerText();
  assert.match(message, new RegExp(`^Date: ${future} is after today \\(${today}, UTC\\)`));
  assert.equal(await page.locator('#date').inputValue(), yesterday, 'the field is put back');
  await page.evaluate(() => { delete document.body.dataset.ready; });
  await page.locator('#load').click();
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: READY_MS, polling: 100 });
  assert.equal(await frame.locator('h1').innerText(), title, 'the report shown is unchanged');
  page.off('request', onRequest);
  assert.ok(requests.every((u) => !u.includes(future)), `nothing asked for ${future}: ${requests.join(', ')}`);
  await page.locator('#date').fill(future);
  await page.locator('#error').waitFor({ state: 'visible', timeout: 5_000 });
  await frame.locator('svg.map').first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: SCREENSHOT });

  // Today, with a cutoff that is hours away in any case (23:59 at UTC−12): served, and said incomplete.
  await page.locator('#date').fill(today);
  await page.locator('#cutoff').fill('23:59');
  await page.locator('#tz').fill('Etc/GMT+12');
  await page.locator('#load').click();
  await page.locator('#notice').waitFor({ state: 'visible', timeout: READY_MS });
  assert.match(await page.locator('#notice').innerText(), new RegExp(`^Incomplete period: .*${today}.* 23:59 Etc/GMT\\+12`));
  assert.match(await frame.locator('h1').innerText(), new RegExp(`^Daily report ${today}`));
  assert.ok(await page.locator('#error').isHidden(), 'today is not refused');

  const problems = session.problems.filter((p) => !/favicon/.test(p));
  assert.deepEqual(problems, [], `the browser reported problems${session.report()}`);
});
