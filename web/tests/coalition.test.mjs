// End-to-end test of the coalition page against the REAL truce demo (which imports the shipped
// coalition: data/coalition/), in a real (headless) Chromium, through harness.mjs.
//
//   cargo build -p truce            # or set TRUCE_BIN to a built binary
//   (cd web && npm ci)              # leaflet, milsymbol, playwright-core
//   node --test web/tests/coalition.test.mjs
//
// Needs Debian's chromium at /usr/bin/chromium; playwright-core never downloads a browser. The page is
// logged in as the demo's `admin` (harness.mjs).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { READY_MS, screenshotPath, startSession } from './harness.mjs';

const SCREENSHOT = screenshotPath('coalition.png');

let session;
let page;
let baseUrl;
let pageProblems = [];

before(async () => {
  session = await startSession({
    demoArgs: ['--days', '1'],
    tmpPrefix: 'truce-coalition-test-',
    viewport: { width: 1500, height: 950 },
  });
  ({ page, baseUrl, problems: pageProblems } = session);
});

after(async () => {
  await session?.close();
});

const problems = () => session.report();

test('the live map links to the coalition page', async () => {
  await page.goto(baseUrl, { waitUntil: 'domcontentloaded', timeout: 15_000 });
  const link = page.locator('header a[href="coalition.html"]');
  assert.equal(await link.innerText(), 'Coalition');
  await link.click();
  await page.waitForURL(/coalition\.html$/, { timeout: 10_000 });
  await page.waitForFunction(() => ['true', 'error'].includes(document.body.dataset.ready), null, { timeout: READY_MS, polling: 100 });
});

test('the coalition page shows the nations, the gaps and the draft plan with military symbols and findings', async () => {
  // Only this page's problems: leaving the live map above aborts its requests in flight.
  pageProblems.length = 0;
  await page.goto(`${baseUrl}coalition.html`, { waitUntil: 'domcontentloaded', timeout: 15_000 });
  try {
    await page.waitForFunction(() => ['true', 'error'].includes(document.body.dataset.ready), null, { timeout: READY_MS, polling: 100 });
  } catch {
    assert.fail(`page not ready after ${READY_MS / 1000} s${problems()}`);
  }
  const ready = await page.evaluate(() => ({ ready: document.body.dataset.ready, error: document.body.dataset.error }));
  assert.equal(ready.ready, 'true', `page reported an error: ${ready.error}${problems()}`);

  // Nations × domains, as publicly reported.
  const counts = await page.evaluate(() => window.truceCoalition.counts());
  assert.equal(counts.nations, 15, 'nations with pledges');
  const germanyLand = page.locator('#nations tr[data-nation="DEU"] td[data-domain="land"] .st');
  assert.equal(await germanyLand.innerText(), 'conditional');
  assert.match(await germanyLand.getAttribute('title'), /NATO territory neighbouring Ukraine[\s\S]*stern\.de/);
  assert.equal(await page.locator('#nations tr[data-nation="ITA"] td[data-domain="monitoring"] .st').innerText(), 'committed');
  assert.equal(await page.locator('#nations tr[data-nation="POL"] td[data-domain="logistics"] .st').innerText(), 'committed');
  assert.match(await page.locator('#milestones').innerText(), /26 of 35/);

  // Gaps: firm, then with the conditional pledges.
  assert.equal(counts.gaps, 12, 'one row per requirement');
  const hubs = page.locator('#gaps tr[data-requirement="land-hubs"]');
  assert.equal(await hubs.locator('[data-testid="shortfall"]').innerText(), '12,000');
  assert.equal(await page.locator('#gaps tr[data-requirement="hq-framework"] [data-testid="shortfall"]').innerText(), 'met');
  await page.locator('[data-testid="assume-conditional"]').check();
  await page.waitForFunction(() => document.body.dataset.gaps === 'ready' && document.body.dataset.assume === 'conditional', null, { timeout: 10_000, polling: 100 });
  assert.equal(await hubs.locator('[data-testid="assumed-shortfall"]').innerText(), '11,850');

  // The plan: every deployment a milsymbol symbol (an inline SVG) at its place.
  assert.equal(counts.deployments, 20, 'deployments drawn');
  assert.equal(counts.symbols, 20, 'one SVG symbol per deployment');
  assert.equal(counts.invalidSymbols, 0, 'every symbol code is valid for milsymbol');
  const deu = page.locator('[data-testid="unit-marker"][data-unit="deu-engr-coy"]');
  assert.equal(await deu.getAttribute('data-severity'), 'error');
  assert.equal(await deu.getAttribute('data-sidc'), '10031000151407000000');

  // Findings listed; the caveat names the pledge's words; clicking one highlights its unit.
  assert.equal(counts.errors, 6, 'the draft plan has six errors');
  const caveat = page.locator('[data-testid="finding"][data-rule="caveat"]');
  assert.match(await caveat.innerText(), /deu-engr-coy \(DEU\) is inside Ukraine; Germany's pledge deu-land allows only on neighbouring territory/);
  assert.match(await caveat.innerText(), /binding US guarantee and backstop/);
  await caveat.click();
  await page.waitForFunction(() => document.querySelector('[data-unit="deu-engr-coy"]')?.classList.contains('highlighted'), null, { timeout: 5000, polling: 100 });
  await page.locator('.leaflet-popup-content').waitFor({ state: 'visible', timeout: 5000 });
  assert.match(await page.locator('.leaflet-popup-content').innerText(), /caveat: /);
  const standoff = page.locator('[data-testid="finding"][data-rule="standoff"][data-unit="fra-armd-coy"]');
  assert.match(await standoff.innerText(), /is 25\.0 km from loc; the force's minimum stand-off is 50 km/);
  await standoff.click();
  await page.waitForFunction(() => document.querySelector('[data-unit="fra-armd-coy"]')?.classList.contains('highlighted')
    && !document.querySelector('[data-unit="deu-engr-coy"]')?.classList.contains('highlighted'), null, { timeout: 5000, polling: 100 });

  // Regeneration and banners.
  assert.ok(counts.targets >= 3);
  assert.match(await page.locator('#regeneration tr[data-target="army-strength"]').innerText(), /800,000/);
  // The plan list names the NATO CONFIDENTIAL reserve plan (data/coalition/force.toml): the page is
  // as high as the highest label it shows.
  assert.match(await page.locator('#banner-top').innerText(), /NATO CONFIDENTIAL/);
  assert.equal(await page.locator('#banner-bottom').getAttribute('data-marking'), 'NATO CONFIDENTIAL');
  assert.equal(await page.locator('[data-testid="session-user"]').innerText(), 'admin · GBR · admin');
  assert.match(await page.locator('.leaflet-control-attribution').innerText(), /© OpenStreetMap contributors/);

  await page.evaluate(() => window.truceCoalition.fit());
  await page.screenshot({ path: SCREENSHOT });
  const unexpected = pageProblems.filter((p) => !/favicon/.test(p));
  assert.deepEqual(unexpected, [], `the browser reported problems${problems()}`);
});
