// End-to-end test of the map as a workspace, against the REAL truce demo in a real (headless) Chromium,
// through harness.mjs: filters (counts and markers equal what the API gives for the same filter, in the
// URL, kept across a reload), drawing an area, replay of a past hour, acknowledging an alert (kept across
// a reload), opening a compliance case from the map and moving it on the case screen, the export of the
// filtered view, the coordinate readout, measuring, the MGRS grid, search, and two nations seeing
// different maps. Screenshots under target/screenshots/workspace-*.png; no browser errors allowed.
//
//   cargo build -p truce && (cd web && npm ci) && node --test web/tests/workspace.test.mjs

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { READY_MS, apiGet, apiLogin, apiObservations, login, screenshotPath, startSession } from './harness.mjs';

const VIEW_MS = 30_000;

let s;
let baseUrl;

before(async () => {
  s = await startSession({ demoArgs: ['--days', '2'], tmpPrefix: 'truce-workspace-test-' });
  ({ baseUrl } = s);
});

after(async () => {
  await s?.close();
});

/** Waits for the map page to be ready and its view loaded. */
async function viewReady(page, report) {
  try {
    await page.waitForFunction(() => document.body.dataset.ready === 'true' && document.body.dataset.view === 'ready',
      null, { timeout: READY_MS, polling: 100 });
  } catch {
    const why = await page.evaluate(() => `${document.body.dataset.ready} ${document.body.dataset.error || ''}`);
    assert.fail(`the map's view did not load: ${why}${report()}`);
  }
}

/** Changes the view through the page and waits until it is loaded again. */
async function setFilter(page, f) {
  await page.evaluate((x) => window.truceMap.setFilter(x), f);
  await page.waitForFunction(() => document.body.dataset.view === 'ready', null, { timeout: VIEW_MS });
}

/** The API's query for the page's current view (its window and filter), as the page sends it. */
async function viewQuery(page) {
  return page.evaluate(() => {
    const f = window.truceMap.filter();
    const q = {};
    if (window.truceMap.since()) q.since = window.truceMap.since();
    for (const k of ['category', 'violation', 'means', 'party', 'marking']) if (f[k].length) q[k] = f[k].join(',');
    if (f.nation) q.nation = f.nation;
    if (f.sector) q.sector = f.sector;
    if (f.area?.type === 'bbox') q.bbox = f.area.bbox.join(',');
    if (f.area?.type === 'polygon') q.polygon = f.area.points.map((p) => p.join(',')).join(';');
    return q;
  });
}

/** The map's ids and counts equal the API's for the same filter (live observations may arrive: waits). */
async function sameAsApi(page, token, who) {
  const deadline = Date.now() + VIEW_MS;
  for (;;) {
    const q = await viewQuery(page);
    const api = await apiObservations(baseUrl, token, q);
    const stats = await apiGet(baseUrl, token, `api/v1/stats?${new URLSearchParams(q)}`);
    const shown = new Set(await page.evaluate(() => window.truceMap.ids()));
    const counts = await page.evaluate(() => window.truceMap.viewCounts());
    const same = api.size === shown.size && [...api.keys()].every((id) => shown.has(id))
      && counts.total === stats.total && counts.total === api.size
      && JSON.stringify(counts.by_violation) === JSON.stringify(Object.fromEntries(Object.entries(stats.by_violation).filter(([, n]) => n > 0)));
    if (same) return { api, stats };
    if (Date.now() > deadline) {
      assert.fail(`${who}: the map (${shown.size} drawn, ${counts.total} counted) and the API (${api.size} listed, ` +
        `${stats.total} counted) differ for ${JSON.stringify(q)}`);
    }
    await page.waitForTimeout(500);
  }
}

test('filters change the map and the counts to what the API gives for the same filter, and stay in the URL', async () => {
  const { page, report, token } = s;
  await page.goto(new URL('./', baseUrl).href);
  await viewReady(page, report);
  const all = await sameAsApi(page, token, 'unfiltered');
  assert.ok(all.api.size > 100, `the demo's window holds observations (${all.api.size})`);

  // Tick a category and a violation in the panel.
  const cats = Object.entries(all.stats.by_category).sort((a, b) => b[1] - a[1]);
  const cat = cats[0][0];
  await page.locator('details[data-facet="category"] summary').click();
  await page.locator(`[data-testid="filter-category-${cat}"]`).check();
  await page.waitForFunction(() => document.body.dataset.view === 'ready', null, { timeout: VIEW_MS });
  await page.locator('details[data-facet="violation"] summary').click();
  await page.locator('[data-testid="filter-violation-cfv_in_security_zone"]').check();
  await page.waitForFunction((c) => window.truceMap.filter().violation.length === 1 && window.truceMap.filter().category[0] === c
    && document.body.dataset.view === 'ready', cat, { timeout: VIEW_MS });
  const narrowed = await sameAsApi(page, token, `category ${cat} and a violation`);
  assert.ok(narrowed.api.size > 0 && narrowed.api.size < all.api.size, `narrower (${narrowed.api.size} of ${all.api.size})`);
  assert.equal(await page.locator('[data-testid="view-total"]').textContent(), narrowed.stats.total.toLocaleString('en-GB'));
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('category'), cat, 'the filter is in the URL');
  assert.equal(url.searchParams.get('violation'), 'cfv_in_security_zone');
  await page.screenshot({ path: screenshotPath('workspace-filtered.png') });

  // A reload keeps it; the URL alone (another browser) gives the same view.
  await page.reload();
  await viewReady(page, report);
  assert.ok(await page.locator(`[data-testid="filter-category-${cat}"]`).isChecked(), 'kept across a reload');
  await sameAsApi(page, token, 'after a reload');
  const other = await s.newPage();
  await login(other.page, baseUrl, 'admin', { path: `./${url.search}` });
  await viewReady(other.page, other.report);
  assert.deepEqual(await other.page.evaluate(() => window.truceMap.filter().category), [cat], 'a shared link opens the same view');
  await other.context.close();

  // Means, party and classification, then an area drawn on the map.
  await setFilter(page, { means: ['patrol', 'uav'], marking: ['0'] });
  await sameAsApi(page, token, 'means and classification');
  await setFilter(page, { party: ['none'] });
  await sameAsApi(page, token, 'no party');
  await setFilter(page, {});
  await page.locator('[data-testid="filter-draw-box"]').click();
  const box = await page.locator('#map').boundingBox();
  await page.mouse.move(box.x + box.width * 0.55, box.y + box.height * 0.25);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.9, box.y + box.height * 0.7, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction(() => window.truceMap.filter().area?.type === 'bbox' && document.body.dataset.view === 'ready', null, { timeout: VIEW_MS });
  const boxed = await sameAsApi(page, token, 'a drawn box');
  assert.ok(boxed.api.size > 0 && boxed.api.size < all.api.size, `the box holds part of the window (${boxed.api.size})`);
  assert.match(new URL(page.url()).searchParams.get('bbox'), /^-?\d+(\.\d+)?(,-?\d+(\.\d+)?){3}$/);
  await setFilter(page, { area: { type: 'polygon', points: [[36.5, 47.0], [38.8, 47.0], [38.8, 49.0], [37.0, 49.5]] } });
  await sameAsApi(page, token, 'a polygon');
  await page.screenshot({ path: screenshotPath('workspace-area.png') });

  // A sector, chosen in the panel: what the early warning counts in it, and it is in the URL.
  await setFilter(page, {});
  await page.locator('[data-testid="filter-sector"]').selectOption('pokrovsk');
  await page.waitForFunction(() => window.truceMap.filter().sector === 'pokrovsk' && document.body.dataset.view === 'ready',
    null, { timeout: VIEW_MS });
  const sector = await sameAsApi(page, token, 'the Pokrovsk sector');
  assert.ok(sector.api.size > 0 && sector.api.size < all.api.size, `the sector holds part of the window (${sector.api.size})`);
  assert.equal(new URL(page.url()).searchParams.get('sector'), 'pokrovsk', 'the sector is in the URL');
  const incidents = await page.evaluate(() => window.truceMap.incidents().map((i) => i.sector));
  assert.ok(incidents.length > 0 && incidents.every((name) => name === 'Pokrovsk'), `only the sector's incidents: ${[...new Set(incidents)]}`);
  // Live: an observation elsewhere is not drawn, one in the sector is (the stream carries its sector).
  const post = async (id, lat, lon, more = {}) => {
    const res = await fetch(new URL('api/v1/observations', baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ id, time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), lat, lon, category: 'explosion_impact', count: 1, observer: { means: 'patrol', team: 'test' }, ...more }),
    });
    assert.equal(res.status, 201, `POST ${id}: ${await res.text()}`);
  };
  await post('sector-test-kherson', 46.63, 32.6);
  await post('sector-test-pokrovsk', 48.05, 37.05);
  await page.waitForFunction(() => window.truceMap.has('sector-test-pokrovsk'), null, { timeout: VIEW_MS });
  assert.equal(await page.evaluate(() => window.truceMap.has('sector-test-kherson')), false, 'outside the sector: not drawn');
  await sameAsApi(page, token, 'the Pokrovsk sector after live observations');
  await page.screenshot({ path: screenshotPath('workspace-sector.png') });

  // Releasable to Poland: the server decides (group membership), also for what arrives live.
  await setFilter(page, { nation: 'POL' });
  await sameAsApi(page, token, 'releasable to Poland');
  await post('nation-test-gbr', 48.1, 37.3, { releasable_to: ['GBR'] });
  await post('nation-test-pol', 48.1, 37.3, { releasable_to: ['GBR', 'POL'] });
  await page.waitForFunction(() => window.truceMap.has('nation-test-pol'), null, { timeout: VIEW_MS });
  assert.equal(await page.evaluate(() => window.truceMap.has('nation-test-gbr')), false, 'not releasable to Poland: not drawn');
  await sameAsApi(page, token, 'releasable to Poland after live observations');
  await page.locator('[data-testid="filter-reset"]').click();
  await page.waitForFunction(() => document.body.dataset.view === 'ready' && !window.truceMap.filter().area, null, { timeout: VIEW_MS });
  assert.deepEqual(s.problems, [], `browser problems:${report()}`);
});

test('a replayed hour shows the observations of that hour, then live returns', async () => {
  const { page, report, token } = s;
  await page.goto(new URL('./', baseUrl).href);
  await viewReady(page, report);
  // The busiest complete hour of yesterday.
  const day = new Date(Date.now() - 86400_000).toISOString().slice(0, 10);
  const obs = await apiObservations(baseUrl, token, { since: day, until: `${day}T23:59:59Z` });
  const perHour = new Map();
  for (const o of obs.values()) perHour.set(o.time.slice(0, 13), (perHour.get(o.time.slice(0, 13)) || 0) + 1);
  const [hour] = [...perHour.entries()].sort((a, b) => b[1] - a[1])[0];
  const from = `${hour}:00:00Z`;
  const to = new Date(Date.parse(from) + 3600_000).toISOString().replace('.000', '');
  const want = await apiObservations(baseUrl, token, { since: from, until: to });
  assert.ok(want.size > 0, `an hour with observations (${hour})`);
  await page.evaluate(([f, t]) => window.truceMap.replay(f, t, 36000), [from, to]);
  // Half way the map holds only what happened by then.
  await page.waitForFunction(() => ['playing', 'done'].includes(document.body.dataset.replay), null, { timeout: VIEW_MS });
  const mid = await page.evaluate(() => ({ at: window.truceMap.replayState().at, ids: window.truceMap.ids() }));
  for (const id of mid.ids) assert.ok(Date.parse(want.get(id).time) <= Date.parse(mid.at), `${id} is shown only once it happened`);
  await page.waitForFunction(() => document.body.dataset.replay === 'done', null, { timeout: VIEW_MS });
  const shown = new Set(await page.evaluate(() => window.truceMap.ids()));
  assert.deepEqual([...shown].sort(), [...want.keys()].sort(), 'the replayed hour shows exactly that hour');
  assert.equal(await page.evaluate(() => window.truceMap.viewCounts().total), want.size, 'and counts it');
  // A filter changed during the replay applies to it at once, where it is: NATO RESTRICTED only, then all.
  const restricted = await apiObservations(baseUrl, token, { since: from, until: to, marking: '1' });
  await page.evaluate(() => window.truceMap.setFilter({ marking: ['1'] }));
  assert.equal(await page.evaluate(() => window.truceMap.replayState().at), new Date(to).toISOString(), 'still at the end');
  assert.deepEqual((await page.evaluate(() => window.truceMap.ids())).sort(), [...restricted.keys()].sort(),
    'the replayed hour under the new filter');
  await page.evaluate(() => window.truceMap.setFilter({}));
  assert.deepEqual((await page.evaluate(() => window.truceMap.ids())).sort(), [...want.keys()].sort(), 'and all of it again');
  assert.equal(await page.locator('[data-testid="live-button"]').isVisible(), true);
  await page.screenshot({ path: screenshotPath('workspace-replay.png') });
  await page.locator('[data-testid="live-button"]').click();
  await page.waitForFunction(() => document.body.dataset.mode === 'live' && document.body.dataset.view === 'ready', null, { timeout: VIEW_MS });
  await sameAsApi(page, token, 'back to live');
  assert.deepEqual(s.problems, [], `browser problems:${report()}`);
});

test('an acknowledged alert stays acknowledged after a reload, and the warning panel gives its reasons', async () => {
  const { page, report, token } = s;
  await page.goto(new URL('./', baseUrl).href);
  await viewReady(page, report);
  const item = page.locator('#alerts li[data-acked="false"]').first();
  await item.waitFor({ timeout: VIEW_MS });
  const seq = await item.getAttribute('data-seq');
  await item.locator('[data-testid="ack-note"]').fill('known, under investigation');
  await item.locator('[data-testid="ack-button"]').click();
  const acked = page.locator(`#alerts li[data-seq="${seq}"][data-acked="true"]`);
  await acked.waitFor({ timeout: VIEW_MS });
  assert.match(await acked.locator('[data-testid="alert-ack"]').textContent(), /admin.*known, under investigation/);
  await page.reload();
  await viewReady(page, report);
  await page.locator(`#alerts li[data-seq="${seq}"][data-acked="true"]`).waitFor({ timeout: VIEW_MS });
  const stored = await apiGet(baseUrl, token, 'api/v1/alerts?limit=10000');
  assert.equal(stored.alerts.find((a) => String(a.seq) === seq)?.ack?.note, 'known, under investigation', 'the API has it');

  // Each sector is drawn in its level's colour, as the API assesses it.
  // (The levels may change while the demo runs: the two must agree within the deadline.)
  for (const deadline = Date.now() + VIEW_MS; ;) {
    const warning = await apiGet(baseUrl, token, 'api/v1/warning');
    const drawn = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('path[data-testid="sector"]')]
      .map((e) => [e.dataset.sector, e.dataset.level])));
    const want = Object.fromEntries(warning.sectors.map((x) => [x.sector, x.level]));
    if (JSON.stringify(drawn) === JSON.stringify(want)) break;
    if (Date.now() > deadline) assert.deepEqual(drawn, want, 'the sectors are drawn at their levels');
    await page.waitForTimeout(500);
  }

  // The line's level has its reasons; an evidence link opens the observation behind it.
  const reasons = page.locator('#warning-reasons li');
  assert.ok(await reasons.count() > 0, 'the line level says why');
  const link = page.locator('#warning-sectors .evidence-link, #warning-reasons .evidence-link').first();
  const id = await link.getAttribute('data-obs-id');
  await link.click();
  await page.locator('[data-testid="details-id"]', { hasText: id }).waitFor({ timeout: VIEW_MS });
  await page.screenshot({ path: screenshotPath('workspace-warning.png') });
  assert.deepEqual(s.problems, [], `browser problems:${report()}`);
});

test('a case opened from the map shows in the case list and moves through its stages', async () => {
  const { page, report, token } = s;
  await page.goto(new URL('./', baseUrl).href);
  await viewReady(page, report);
  const incidents = await page.evaluate(() => window.truceMap.incidents());
  assert.ok(incidents.length > 2, `incidents drawn (${incidents.length})`);
  // Select one through its popup, one more through the page.
  const first = incidents[0];
  assert.ok(await page.evaluate((id) => window.truceMap.openIncident(id), first.id), 'its popup opens');
  await page.locator(`.incident-popup[data-incident="${first.id}"] [data-testid="incident-pick"]`).click();
  await page.evaluate((id) => window.truceMap.pick([id]), incidents[1].id);
  await page.waitForFunction(() => document.querySelector('[data-testid="case-picked"]').dataset.count === '2');
  assert.deepEqual((await page.evaluate(() => window.truceMap.incidents())).filter((i) => i.picked).map((i) => i.id).sort(),
    [first.id, incidents[1].id].sort(), 'both are marked on the map');
  await page.locator('[data-testid="case-title"]').fill('Shelling in the security zone');
  await page.locator('[data-testid="case-open"]').click();
  const link = page.locator('[data-testid="case-link"]');
  await link.waitFor({ timeout: VIEW_MS });
  const caseId = await link.textContent();
  const listed = await apiGet(baseUrl, token, 'api/v1/cases');
  const c = listed.cases.find((x) => x.id === caseId);
  assert.ok(c, 'the API lists the case');
  assert.deepEqual([...c.incidents].sort(), [first.id, incidents[1].id].sort());

  await link.click();
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: VIEW_MS });
  await page.locator(`#case-list li[data-case="${caseId}"]`).waitFor({ timeout: VIEW_MS });
  await page.locator(`#case-view[data-case="${caseId}"]`).waitFor({ timeout: VIEW_MS });
  // Attribution without a party is refused with the server's reason, and changes nothing.
  await page.locator('[data-testid="case-to"]').selectOption('attribution');
  await page.locator('[data-testid="case-submit"]').click();
  await page.locator('[data-testid="case-error"]', { hasText: /party/ }).waitFor({ timeout: VIEW_MS });
  assert.equal((await apiGet(baseUrl, token, `api/v1/cases/${caseId}`)).stage, 'evidence');
  await page.locator('[data-testid="case-party"]').selectOption({ index: 1 });
  await page.locator('[data-testid="case-action-note"]').fill('Crater analysis points to the north-east.');
  await page.locator('[data-testid="case-submit"]').click();
  await page.locator('[data-testid="case-stage"][data-stage="attribution"]').waitFor({ timeout: VIEW_MS });
  await page.locator('[data-testid="case-to"]').selectOption('remedy');
  await page.locator('[data-testid="case-action-note"]').fill('Withdraw the battery 15 km.');
  await page.locator('[data-testid="case-submit"]').click();
  await page.locator('[data-testid="case-stage"][data-stage="remedy"]').waitFor({ timeout: VIEW_MS });
  assert.equal((await apiGet(baseUrl, token, `api/v1/cases/${caseId}`)).stage, 'remedy');
  await page.screenshot({ path: screenshotPath('workspace-case.png') });
  // The console error of the refused move (HTTP 422) is the test's own doing.
  const unexpected = s.problems.filter((p) => !/422/.test(p));
  s.problems.length = 0;
  assert.deepEqual(unexpected, [], `browser problems:${report()}`);
});

test('the export holds exactly the filtered records, with their labels', async () => {
  const { page, report, token } = s;
  await page.goto(new URL('./', baseUrl).href);
  await viewReady(page, report);
  await setFilter(page, { violation: ['cfv_in_security_zone'] });
  const { api } = await sameAsApi(page, token, 'export filter');
  const files = {};
  for (const format of ['geojson', 'csv', 'kml']) {
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: VIEW_MS }),
      page.locator(`[data-testid="export-${format}"]`).click(),
    ]);
    assert.match(download.suggestedFilename(), new RegExp(`^truce-export-\\d{8}T\\d{6}Z\\.${format}$`));
    files[format] = fs.readFileSync(await download.path(), 'utf8');
  }
  const gj = JSON.parse(files.geojson);
  const ids = gj.features.map((f) => f.properties.id).sort();
  assert.deepEqual(ids, [...api.keys()].sort(), 'GeoJSON: exactly the filtered records');
  for (const f of gj.features) assert.ok(f.properties.marking, `${f.properties.id} carries its marking`);
  assert.ok(gj.classification, 'the file carries its classification');
  const rows = files.csv.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.equal(rows.length - 1, api.size, 'CSV: one row per record');
  assert.equal((files.kml.match(/<Placemark/g) || []).length, api.size, 'KML: one placemark per record');
  await setFilter(page, {});
  assert.deepEqual(s.problems, [], `browser problems:${report()}`);
});

test('readout, measuring, MGRS grid and search', async () => {
  const { page, report } = s;
  await page.goto(new URL('./', baseUrl).href);
  await viewReady(page, report);
  const box = await page.locator('#map').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const readout = page.locator('[data-testid="readout"]');
  assert.match(await readout.textContent(), /^\d{2}[C-X] [A-Z]{2} \d{5} \d{5} · \d+\.\d{5}° [NS] \d+\.\d{5}° [EW]$/);

  // Kyiv to Kharkiv: 410,332.279 m at 094.909° on WGS84 (GeographicLib 2.0's Inverse, computed outside).
  await page.evaluate(() => { document.querySelector('[data-testid="measure-button"]').click(); });
  await page.evaluate(() => { window.truceMap.measure.add(50.4501, 30.5234); window.truceMap.measure.add(49.9935, 36.2304); });
  const legs = await page.evaluate(() => window.truceMap.measure.legs());
  assert.equal(legs.length, 1);
  assert.ok(Math.abs(legs[0].distance - 410_332.279) < 0.01, `Kyiv–Kharkiv ${legs[0].distance} m`);
  assert.ok(Math.abs(legs[0].bearing - 94.90864) < 1e-5, `bearing ${legs[0].bearing}`);
  assert.match(await page.locator('[data-testid="measure-leg"]').textContent(), /Leg 1: 410\.3 km, bearing 095° \(1687 mil\)/);
  await page.keyboard.press('Escape');

  await page.evaluate(() => { window.truceMap.map.setView([48.5, 37.5], 8, { animate: false }); window.truceMap.showGrid(true); });
  await page.waitForFunction(() => window.truceMap.mgrsGrid() > 4, null, { timeout: VIEW_MS });
  assert.ok(await page.locator('.mgrs-label').count() > 0, 'grid squares are labelled');
  await page.screenshot({ path: screenshotPath('workspace-tools.png') });
  await page.evaluate(() => window.truceMap.showGrid(false));

  // The coalition's plan as a layer: its deployments as symbols, popups in words.
  const units = await page.evaluate(() => window.truceMap.showPlan());
  const plan = await apiGet(baseUrl, s.token, 'api/v1/plans');
  const planFc = await apiGet(baseUrl, s.token, `api/v1/plans/${plan.plans[0].id}`);
  assert.equal(units, planFc.features.filter((f) => f.properties.layer !== 'area').length, 'every deployment drawn');
  assert.ok(await page.locator('.plan-icon svg').count() > 0, 'as APP-6 symbols');

  // A place of the basemap: the map goes there.
  await page.locator('[data-testid="search"]').fill('Enerhodar');
  await page.locator('[data-testid="search-result"][data-kind="place"]').first().waitFor({ timeout: VIEW_MS });
  await page.locator('[data-testid="search"]').press('Enter');
  await page.waitForFunction(() => {
    const c = window.truceMap.map.getCenter();
    return Math.abs(c.lat - 47.50) < 0.05 && Math.abs(c.lng - 34.65) < 0.05;
  }, null, { timeout: VIEW_MS });

  const id = (await page.evaluate(() => window.truceMap.ids()))[0];
  await page.locator('[data-testid="search"]').fill(id);
  await page.locator('[data-testid="search-result"]').first().waitFor({ timeout: VIEW_MS });
  await page.locator('[data-testid="search"]').press('Enter');
  await page.locator('[data-testid="details-id"]', { hasText: id }).waitFor({ timeout: VIEW_MS });
  assert.deepEqual(s.problems, [], `browser problems:${report()}`);
});

test('two users of different nations see different maps, each what the API gives them', async () => {
  const pol = await s.newPage();
  await login(pol.page, baseUrl, 'pol.rep', { path: './' });
  await viewReady(pol.page, pol.report);
  const polToken = await apiLogin(baseUrl, 'pol.rep');
  const polView = await sameAsApi(pol.page, polToken, 'pol.rep');
  const gbr = await s.newPage();
  await login(gbr.page, baseUrl, 'gbr.watch', { path: './' });
  await viewReady(gbr.page, gbr.report);
  const gbrToken = await apiLogin(baseUrl, 'gbr.watch');
  const gbrView = await sameAsApi(gbr.page, gbrToken, 'gbr.watch');
  assert.notEqual(polView.api.size, gbrView.api.size, 'the two nations see different observations');
  await pol.page.screenshot({ path: screenshotPath('workspace-pol.png') });
  assert.deepEqual([...pol.problems, ...gbr.problems], [], `browser problems:${pol.report()}${gbr.report()}`);
  await pol.context.close();
  await gbr.context.close();
});
