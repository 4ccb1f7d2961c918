// End-to-end test of the basemap (web/basemap.js) on the live map, and of the coalition page's unit popups
// and labels, against the REAL truce demo in a real (headless) Chromium, through harness.mjs.
//
//   cargo build -p truce            # or set TRUCE_BIN to a built binary
//   (cd web && npm ci)              # leaflet, milsymbol, playwright-core
//   node --test web/tests/basemap.test.mjs
//
// Screenshots: target/screenshots/basemap-*.png. TRUCE_WEB_DIR=web serves the pages from disk (--web-dir),
// so an edit is tested without a rebuild.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { READY_MS, screenshotPath, startSession } from './harness.mjs';

let session;
let page;
let baseUrl;
let pageProblems = [];

before(async () => {
  const webDir = process.env.TRUCE_WEB_DIR ? ['--web-dir', path.resolve(process.env.TRUCE_WEB_DIR)] : [];
  session = await startSession({ demoArgs: ['--days', '1', ...webDir], tmpPrefix: 'truce-basemap-test-' });
  ({ page, baseUrl, problems: pageProblems } = session);
});

after(async () => {
  await session?.close();
});

const problems = () => session.report();

async function whenReady() {
  try {
    await page.waitForFunction(() => ['true', 'error'].includes(document.body.dataset.ready), null, { timeout: READY_MS, polling: 100 });
  } catch {
    assert.fail(`page not ready after ${READY_MS / 1000} s${problems()}`);
  }
  const ready = await page.evaluate(() => ({ ready: document.body.dataset.ready, error: document.body.dataset.error }));
  assert.equal(ready.ready, 'true', `page reported an error: ${ready.error}${problems()}`);
}

/** Sets the view without animation and waits until the labels have been recomputed for it. */
async function view(lat, lon, zoom) {
  await page.evaluate(([la, lo, z]) => new Promise((resolve) => {
    const map = window.truceMap.map;
    map.once('moveend', () => setTimeout(resolve, 50));
    map.setView([la, lo], z, { animate: false });
  }), [lat, lon, zoom]);
}

/** The visible settlement labels, each with its box as the browser lays it out. */
function labels() {
  return page.evaluate(() => [...document.querySelectorAll('[data-testid="place-label"] .map-label-text')].map((el) => {
    const r = el.getBoundingClientRect();
    return { name: el.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom };
  }));
}

function overlaps(list) {
  const out = [];
  for (let i = 0; i < list.length; i += 1) {
    for (let j = i + 1; j < list.length; j += 1) {
      const a = list[i];
      const b = list[j];
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push(`${a.name} × ${b.name}`);
    }
  }
  return out;
}

test('the live map has a basemap to orient by: cities named by size, the Dnipro and its reservoirs, no label on another', async () => {
  await page.goto(baseUrl, { waitUntil: 'domcontentloaded', timeout: 15_000 });
  await whenReady();
  const counts = await page.evaluate(() => window.truceBasemap.counts());
  assert.ok(counts.places > 1000 && counts.rivers > 100 && counts.lakes > 50 && counts.coastline > 10, JSON.stringify(counts));
  assert.deepEqual(await page.evaluate(() => window.truceBasemap.failed), []);

  // Ukraine scale (the home view): the capital and the largest cities are named.
  await page.evaluate(() => window.truceMap.home());
  await view(48.6, 31.5, 6);
  let shown = await labels();
  const names = shown.map((l) => l.name);
  for (const city of ['Kyiv', 'Kharkiv', 'Odesa', 'Dnipro', 'Lviv', 'Zaporizhzhia']) {
    assert.ok(names.includes(city), `${city} is labelled at zoom 6: ${names.join(', ')}`);
  }
  assert.ok(!names.includes('Enerhodar'), 'small towns wait for a closer zoom');
  assert.deepEqual(overlaps(shown), [], 'labels overlap at zoom 6');
  assert.ok((await page.evaluate(() => window.truceBasemap.visible('rivers'))).includes('Dnipro'), 'the Dnipro at zoom 6');
  await page.screenshot({ path: screenshotPath('basemap-ukraine.png') });

  // The attribution credits the sources beside OpenStreetMap.
  const attribution = await page.locator('.leaflet-control-attribution').innerText();
  assert.match(attribution, /© OpenStreetMap contributors/);
  assert.match(attribution, /Natural Earth/);
  assert.match(attribution, /GeoNames/);

  // Zoomed in near Zaporizhzhia: the Dnipro, its reservoirs, and the smaller towns around.
  await view(47.6, 35.0, 9);
  shown = await labels();
  const near = shown.map((l) => l.name);
  for (const town of ['Zaporizhzhia', 'Enerhodar', 'Nikopol', 'Orikhiv', 'Tokmak']) {
    assert.ok(near.includes(town), `${town} is labelled at zoom 9 near Zaporizhzhia: ${near.join(', ')}`);
  }
  assert.ok(shown.length >= 15, `only ${shown.length} places named at zoom 9`);
  assert.deepEqual(overlaps(shown), [], 'labels overlap at zoom 9');
  assert.ok((await page.evaluate(() => window.truceBasemap.visible('rivers'))).includes('Dnipro'), 'the Dnipro at zoom 9');
  const lakes = await page.evaluate(() => window.truceBasemap.visible('lakes'));
  assert.ok(lakes.includes('Kakhovka Reservoir'), `the (drained) Kakhovka reservoir: ${lakes.join(', ')}`);
  assert.ok(await page.locator('.leaflet-basemapDetail-pane path').count() > 20, 'rivers, lakes and coast drawn');
  await page.screenshot({ path: screenshotPath('basemap-zaporizhzhia.png') });

  // Closer still, along the line of contact in Donetsk oblast.
  await view(48.6, 37.8, 11);
  shown = await labels();
  assert.ok(shown.map((l) => l.name).includes('Kramatorsk') || shown.map((l) => l.name).includes('Kostiantynivka'),
    `towns at zoom 11: ${shown.map((l) => l.name).join(', ')}`);
  assert.deepEqual(overlaps(shown), [], 'labels overlap at zoom 11');
  await page.screenshot({ path: screenshotPath('basemap-donetsk.png') });

  assert.deepEqual(pageProblems, [], `the browser reported problems${problems()}`);
});

test('the coalition page says what each unit is in words, and its labels do not overlap', async () => {
  pageProblems.length = 0;
  await page.goto(`${baseUrl}coalition.html`, { waitUntil: 'domcontentloaded', timeout: 15_000 });
  await whenReady();
  const labelsShown = await page.evaluate(() => window.truceCoalition.labels());
  assert.ok(labelsShown.length >= 5, `unit labels: ${labelsShown.map((l) => l.name).join(', ')}`);
  assert.deepEqual(overlaps(labelsShown.map((l) => ({ name: l.name, ...l.box }))), [], 'unit labels overlap');

  // Zoomed out to the theatre the units crowd: fewer labels, still none on another.
  await page.evaluate(() => new Promise((resolve) => {
    const { map } = window.truceCoalition;
    map.once('moveend', () => setTimeout(resolve, 50));
    map.setZoom(4, { animate: false });
  }));
  const crowded = await page.evaluate(() => window.truceCoalition.labels());
  assert.ok(crowded.length >= 3 && crowded.length < labelsShown.length, `${crowded.length} labels at zoom 4, ${labelsShown.length} before`);
  assert.deepEqual(overlaps(crowded.map((l) => ({ name: l.name, ...l.box }))), [], 'unit labels overlap at zoom 4');
  await page.evaluate(() => window.truceCoalition.fit());
  const words = await page.evaluate(() => window.truceCoalition.describeSidc('10031000161211000000').words);
  assert.equal(words, 'Infantry battalion or squadron (friendly, present)');
  assert.equal(await page.evaluate(() => window.truceCoalition.describeSidc('10033000001202040000').words), 'Frigate (friendly, present)');
  assert.equal(await page.evaluate(() => window.truceCoalition.describeSidc('10031002181100000000').words),
    'Headquarters, command and control brigade (friendly, present)');

  // A popup: the unit in words; the code only as a small secondary line.
  await page.evaluate(() => window.truceCoalition.highlight(0));
  const popup = page.locator('[data-testid="unit-popup"]');
  await popup.waitFor({ state: 'visible', timeout: 5000 });
  const text = await popup.innerText();
  assert.match(text, /\(friendly, present\)/, text);
  assert.match(text, /United Kingdom|France|Germany|Poland|Italy|Sweden|Estonia|Bulgaria|Netherlands|Denmark|Norway|Finland|Canada|Australia|Belgium|Lithuania|Latvia|Romania|Turkey|Spain/, text);
  assert.match(await popup.locator('[data-testid="sidc"]').innerText(), /^SIDC \d{20}$/);
  const firstLine = text.split('\n').slice(0, 3).join(' ');
  assert.doesNotMatch(firstLine, /\d{20}/, 'the code is not the headline');
  await page.screenshot({ path: screenshotPath('basemap-coalition.png') });

  assert.deepEqual(pageProblems, [], `the browser reported problems${problems()}`);
});
