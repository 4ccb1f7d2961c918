// End-to-end test of the web map against the REAL truce server, in a real (headless) Chromium.
//
//   cargo build -p truce            # or set TRUCE_BIN to a built binary
//   (cd web && npm ci)              # leaflet, mgrs, playwright-core
//   node --test web/tests/          # from the repository root
//
// Needs Debian's chromium at /usr/bin/chromium (`apt-get install -y chromium`); playwright-core never
// downloads a browser. Override the browser with CHROMIUM_BIN. The page is logged in as the demo's
// `admin` (harness.mjs); sessions.test.mjs tests the login itself and what each nation sees.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { READY_MS, apiGet, screenshotPath, startSession } from './harness.mjs';

const SCREENSHOT = screenshotPath('map.png');
const LIVE_MS = 15_000;
// The demo's simulated TAK units report every 3 s; UK-RECCE-2 enters the stand-off zone ~40 s after start.
const TAK_MS = 90_000;
// The demo's simulated ships and aircraft (with a catch-up of the past hours at start, so the dark ship and
// the interference cells exist within the first minute); a debug build on a loaded machine is slow.
const SEA_AIR_MS = 90_000;
const SEA_AIR_SCREENSHOT = screenshotPath('sea-air.png');

let session;
let page;
let baseUrl;
let pageProblems = [];

before(async () => {
  session = await startSession({ demoArgs: ['--speed', '60'], tmpPrefix: 'truce-web-test-' });
  ({ page, baseUrl, problems: pageProblems } = session);
});

after(async () => {
  await session?.close();
});

const problems = () => session.report();

test('the map draws the basemap, lines, zones and a week of observations, and takes live ones', async () => {
  await page.goto(baseUrl, { waitUntil: 'domcontentloaded', timeout: 15_000 });

  // Ready: basemap, geometry and the initial observations drawn (or a reported failure).
  try {
    await page.waitForFunction(() => ['true', 'error'].includes(document.body.dataset.ready), null,
      { timeout: READY_MS, polling: 100 });
  } catch {
    assert.fail(`page not ready after ${READY_MS / 1000} s${problems()}`);
  }
  const ready = await page.evaluate(() => ({ ready: document.body.dataset.ready, error: document.body.dataset.error }));
  assert.equal(ready.ready, 'true', `page reported an error while loading: ${ready.error}${problems()}`);

  const counts = await page.evaluate(() => window.truceMap.counts());
  assert.ok(counts.lines >= 1, `expected at least 1 line drawn, got ${counts.lines}`);
  assert.ok(counts.zones >= 1, `expected at least 1 zone drawn, got ${counts.zones}`);
  assert.ok(counts.observations >= 100, `expected at least 100 observations drawn, got ${counts.observations}`);

  // Legend, attribution, banners, clock.
  assert.ok(await page.locator('#legend').isVisible(), 'legend not visible');
  const legendZones = await page.locator('#legend-zones li').count();
  assert.ok(legendZones >= 1, `legend lists no zone kind (${legendZones})`);
  const legendLines = await page.locator('#legend-lines li').count();
  assert.equal(legendLines, counts.lines, 'legend lists every line');
  assert.ok(await page.locator('#legend-observations li[data-violation="cfv_in_security_zone"]').isVisible(),
    'observation legend not visible');
  // The legend is the server's vocabulary: every violation code, in its order, with its words.
  const vocabulary = await page.evaluate(async () => (await (await window.truceSession.fetch('api/v1/vocabulary')).json()));
  const legend = await page.locator('#legend-observations li[data-violation]').evaluateAll(
    (items) => items.map((li) => [li.dataset.violation, li.innerText.trim()]));
  assert.deepEqual(legend, [...vocabulary.violations.map((v) => [v.code, v.label]), ['none', 'No violation']],
    'the observation legend lists the vocabulary of the server');
  const attribution = page.locator('.leaflet-control-attribution');
  assert.ok(await attribution.isVisible(), 'attribution control not visible');
  assert.match(await attribution.innerText(), /© OpenStreetMap contributors/, 'OSM attribution missing');
  assert.match(await page.locator('#banner-top').innerText(), /UNCLASSIFIED|RESTRICTED|CONFIDENTIAL|SECRET/i, 'top banner');
  assert.match(await page.locator('#banner-bottom').innerText(), /UNCLASSIFIED|RESTRICTED|CONFIDENTIAL|SECRET/i, 'bottom banner');
  assert.match(await page.locator('#clock').innerText(), /^\d{6}Z [A-Z]{3} \d{2}$/, 'clock shows a DTG');
  const illustrative = await page.evaluate(async () => (await (await window.truceSession.fetch('api/v1/agreement')).json()).illustrative);
  if (illustrative) {
    assert.ok(await page.locator('#illustrative').isVisible(), 'ILLUSTRATIVE marker not visible');
  }
  assert.match(await page.locator('#today-total').innerText(), /^\d[\d,]*$/, 'today total shown');

  // Early warning: the panel shows each sector's level as the API gives it to this user now. (How high
  // Pokrovsk still is depends on the hour: the escalation of day 6 has decayed by some hours of the
  // next day, judged on what this user may see; its alerts are checked below.)
  const pokrovsk = await page.locator('#warning-sectors li[data-sector="pokrovsk"]').getAttribute('data-level');
  const warning = await apiGet(baseUrl, session.token, 'api/v1/warning');
  assert.equal(pokrovsk, warning.sectors.find((s) => s.sector === 'pokrovsk').level, 'the panel shows the API level');
  // The alert panel lists exactly the alerts the API gives this user: its audience's, assessed on what
  // it may see (docs/security.md), among them the one that raised Pokrovsk to its level.
  const since = new Date(Date.now() - 8 * 86400 * 1000).toISOString();
  const apiAlerts = (await apiGet(baseUrl, session.token, `api/v1/alerts?since=${encodeURIComponent(since)}&limit=1000`)).alerts;
  const alerts = await page.evaluate(() => window.truceMap.alerts());
  assert.deepEqual(alerts.map((a) => a.seq), apiAlerts.map((a) => a.seq).sort((x, y) => y - x).slice(0, 50),
    'the alert panel lists the alerts the API gives admin, newest first');
  // The demo's week has the Pokrovsk escalation: an alert raised the sector to high or critical, and the
  // panel shows it.
  const raised = apiAlerts.find((a) => a.scope === 'pokrovsk' && ['high', 'critical'].includes(a.level));
  assert.ok(raised, `an alert raised Pokrovsk to high or critical: ${JSON.stringify(apiAlerts.filter((a) => a.scope === 'pokrovsk'))}`);
  assert.ok(await page.locator(`#alerts li[data-scope="pokrovsk"][data-level="${raised.level}"]`).first().isVisible(),
    'the Pokrovsk alert is shown in the panel');
  assert.equal(await page.locator('#warning-sectors > li').count(), 6, 'six sectors with a level');
  assert.match(await page.locator('#warning-line').innerText(), /^Line: (normal|elevated|high|critical)$/i);

  // Live: POST an observation and wait for it to appear, without reloading the page.
  await page.evaluate(() => { window.__notReloaded = true; });
  const before = counts.observations;
  const body = {
    id: 'browser-test-1',
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    lat: 48.6,
    lon: 37.9,
    category: 'explosion_impact',
    count: 1,
    observer: { means: 'patrol', team: 'test' },
  };
  const res = await fetch(new URL('api/v1/observations', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
    body: JSON.stringify(body),
  });
  const resText = await res.text();
  assert.equal(res.status, 201, `POST /api/v1/observations: HTTP ${res.status} ${resText}`);
  try {
    await page.waitForFunction(
      (n) => window.truceMap.counts().observations > n && window.truceMap.has('browser-test-1'),
      before, { timeout: LIVE_MS, polling: 100 },
    );
  } catch {
    const now = await page.evaluate(() => ({ c: window.truceMap.counts(), conn: window.truceMap.connection() }));
    assert.fail(`observation browser-test-1 did not appear within ${LIVE_MS / 1000} s ` +
      `(observations ${before} → ${now.c.observations}, stream ${now.conn})${problems()}`);
  }
  assert.equal(await page.evaluate(() => window.__notReloaded), true, 'the page reloaded');

  // Click the new observation's marker and read its details.
  assert.equal(await page.evaluate(() => window.truceMap.select('browser-test-1')), true, 'select the new observation');
  const marker = page.locator('[data-obs-id="browser-test-1"][data-testid="obs-marker"]');
  await marker.waitFor({ state: 'visible', timeout: 10_000 });
  await page.locator('#details-close').click();
  assert.ok(await page.locator('#details').isHidden(), 'details panel closes');
  await marker.click();
  await page.locator('#details').waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await page.locator('[data-testid="details-id"]').innerText(), 'browser-test-1');
  assert.match(await page.locator('[data-testid="details-dtg"]').innerText(), /^\d{6}Z [A-Z]{3} \d{2}$/);
  const details = await page.locator('#details-body').innerText();
  assert.match(details, /48\.60000, 37\.90000/, 'position with 5 decimals');
  assert.match(details, /Explosion impact/, 'category');
  assert.match(details, /Patrol · test/, 'observer');

  // Back to the whole picture for the screenshot.
  await page.locator('#details-close').click();
  await page.evaluate(() => window.truceMap.home());
  await page.screenshot({ path: SCREENSHOT });
  assert.ok(fs.statSync(SCREENSHOT).size > 10_000, 'screenshot written');

  const unexpected = pageProblems.filter((p) => !/favicon/.test(p));
  assert.deepEqual(unexpected, [], `the browser reported problems${problems()}`);
});

test('observation symbols never overlap, hold every observation once, and a cluster opens up when clicked', async () => {
  // Every symbol drawn, read in the task in which the layer finished drawing (live ones keep arriving).
  const read = () => page.evaluate(async () => {
    const drawn = await window.truceMap.obsDrawn();
    const boxes = [...document.querySelectorAll('[data-testid="obs-cluster"], [data-testid="obs-marker"]')].map((el) => {
      const r = el.getBoundingClientRect();
      return { cluster: el.dataset.testid === 'obs-cluster', n: Number(el.dataset.count || 1), x: r.x, y: r.y, w: r.width, h: r.height };
    });
    return { drawn, boxes, held: window.truceMap.counts().observations, zoom: window.truceMap.map.getZoom() };
  });
  const overlaps = (boxes) => {
    const out = [];
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]; const b = boxes[j];
        const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
        const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
        if (w > 0.5 && h > 0.5) out.push([a, b]);
      }
    }
    return out;
  };

  await page.evaluate(() => window.truceMap.home());
  const home = await read();
  const clusters = home.boxes.filter((b) => b.cluster);
  assert.ok(clusters.length >= 2, `expected clusters at the whole-country view, got ${JSON.stringify(home.drawn)}`);
  assert.equal(home.boxes.length, home.drawn.clusters + home.drawn.markers, 'the elements are the symbols the layer says it drew');
  // The whole of Ukraine is in view: each observation is in exactly one symbol.
  assert.equal(home.boxes.reduce((a, b) => a + b.n, 0), home.held, 'the symbols\' counts add up to the observations held');
  assert.deepEqual(overlaps(home.boxes), [], 'no two symbols overlap');

  // The largest cluster the pointer can reach (not under a control): a click zooms in to its observations.
  const target = await page.evaluate(() => {
    const els = [...document.querySelectorAll('[data-testid="obs-cluster"]')]
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
      .filter(({ el, r }) => el.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)))
      .sort((a, b) => Number(b.el.dataset.count) - Number(a.el.dataset.count));
    const { el, r } = els[0] || {};
    return el ? { x: r.x + r.width / 2, y: r.y + r.height / 2, n: Number(el.dataset.count) } : null;
  });
  assert.ok(target, 'a cluster the pointer can reach');
  await page.mouse.click(target.x, target.y);
  await page.waitForFunction((z) => window.truceMap.map.getZoom() > z, home.zoom, { timeout: 10_000, polling: 100 });
  const closer = await read();
  assert.ok(closer.boxes.length > 0, 'symbols drawn after the zoom');
  assert.deepEqual(overlaps(closer.boxes), [], 'no two symbols overlap after the zoom');
  const largest = Math.max(...closer.boxes.map((b) => b.n));
  assert.ok(largest < target.n, `the clicked cluster of ${target.n} split (largest now ${largest})`);
  await page.screenshot({ path: screenshotPath('map-clusters.png') });

  // Two observations at one spot cannot be split by zooming: at the last zoom their cluster lists them,
  // and a click on one in the list opens it.
  const spot = { lat: 47.71, lon: 36.05 };
  for (const id of ['same-spot-1', 'same-spot-2']) {
    const res = await fetch(new URL('api/v1/observations', baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.token}` },
      body: JSON.stringify({
        id, time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), ...spot,
        category: 'bursts_and_shots', observer: { means: 'patrol', team: 'test' },
      }),
    });
    assert.equal(res.status, 201, `POST ${id}: ${await res.text()}`);
  }
  await page.waitForFunction(() => window.truceMap.has('same-spot-1') && window.truceMap.has('same-spot-2'), null,
    { timeout: LIVE_MS, polling: 100 });
  const pair = await page.evaluate(async (at) => {
    const map = window.truceMap.map;
    map.setView([at.lat, at.lon], map.getMaxZoom(), { animate: false });
    await window.truceMap.obsDrawn();
    const p = map.latLngToContainerPoint([at.lat, at.lon]);
    const r = map.getContainer().getBoundingClientRect();
    const el = document.elementFromPoint(r.x + p.x, r.y + p.y)?.closest('[data-testid="obs-cluster"]');
    return el ? { n: Number(el.dataset.count), x: r.x + p.x, y: r.y + p.y } : null;
  }, spot);
  assert.ok(pair && pair.n >= 2, `a cluster at the spot at the last zoom: ${JSON.stringify(pair)}`);
  await page.mouse.click(pair.x, pair.y);
  const listed = page.locator('.obs-list button[data-obs-id="same-spot-2"]');
  await listed.waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await page.locator('.obs-list button').count(), pair.n, 'the list holds the cluster\'s observations');
  await listed.click();
  await page.locator('[data-testid="details-id"]', { hasText: 'same-spot-2' }).waitFor({ timeout: 5000 });
  await page.locator('#details-close').click();
  await page.evaluate(() => window.truceMap.home());
});

test('the live-tracks layer shows the demo\'s TAK units as symbols and the geofence list an enter of the stand-off zone', async () => {
  await page.goto(baseUrl, { waitUntil: 'domcontentloaded', timeout: 15_000 });
  try {
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: READY_MS, polling: 100 });
  } catch {
    assert.fail(`page not ready after ${READY_MS / 1000} s${problems()}`);
  }

  // The simulated units (five patrols, the approaching recce unit, the monitor) on the layer.
  try {
    await page.waitForFunction(() => window.truceMap.tracks().filter((t) => t.type.startsWith('a-f-')).length >= 6,
      null, { timeout: TAK_MS, polling: 250 });
  } catch {
    const now = await page.evaluate(() => window.truceMap.tracks());
    assert.fail(`fewer than 6 friendly TAK tracks within ${TAK_MS / 1000} s: ${JSON.stringify(now)}${problems()}`);
  }
  // CoT type → 2525B letter SIDC (15 characters), the frame alone when the type says too little.
  const sidcs = await page.evaluate(() => ['a-f-G-U-C', 'a-h-G-E-W-H', 'a-n-G-U-C-R', 'a-u-A', 'a-f', 'b-t-f']
    .map((t) => window.truceMap.sidc(t)));
  assert.deepEqual(sidcs, ['SFGPUC---------', 'SHGPEWH--------', 'SNGPUCR--------', 'SUAP-----------',
    'SFZP-----------', 'SUZP-----------']);
  const tracks = await page.evaluate(() => window.truceMap.tracks());
  assert.ok(tracks.length > 0, 'live tracks drawn');
  // Drawn on the track canvas (milsymbol symbols stamped from offscreen canvases), on the TAK layer.
  await page.evaluate(() => window.truceMap.drawTracks());
  const canvas = page.locator('[data-testid="track-canvas"]');
  assert.ok(Number(await canvas.getAttribute('data-tak')) > 0, 'TAK symbols drawn on the track canvas');
  const drawnTak = await page.evaluate(() => window.truceMap.drawnTracks().filter((d) => d.layer === 'tak'));
  assert.ok(drawnTak.length > 0 && drawnTak.every((d) => !/^(ais|icao)-/.test(d.uid)), `TAK symbols: ${JSON.stringify(drawnTak)}`);
  assert.ok(drawnTak.some((d) => d.sidc.startsWith('SFG')), 'a friendly ground unit symbol');
  // The view's filter applies to the tracks: their means (TAK device, ship, aircraft) and the area.
  // (The demo's units keep arriving: each count is compared with the TAK tracks held at that moment.)
  const drawnUnder = (f) => page.evaluate(async (filter) => {
    await window.truceMap.setFilter(filter);
    window.truceMap.drawTracks();
    return { drawn: window.truceMap.drawnTracks(), tak: window.truceMap.tracks().length };
  }, f);
  assert.equal((await drawnUnder({ means: ['patrol'] })).drawn.length, 0, 'no track is a patrol report');
  const takOnly = await drawnUnder({ means: ['tak_device'] });
  assert.ok(takOnly.drawn.length === takOnly.tak && takOnly.drawn.every((d) => d.layer === 'tak'), 'TAK devices only');
  assert.equal((await drawnUnder({ area: { type: 'bbox', bbox: [20, 40, 21, 41] } })).drawn.length, 0, 'none outside the area');
  const all = await drawnUnder({});
  assert.equal(all.drawn.filter((d) => d.layer === 'tak').length, all.tak, 'all again');
  assert.ok(await page.locator('.leaflet-control-layers-overlays', { hasText: 'Live tracks' }).isVisible(),
    'the live-tracks layer is in the layer control');
  assert.match(await page.locator('#tracks-count').innerText(), /^\d+ live tracks?$/);
  // Close to a unit, its callsign is drawn beside it, and a click on its symbol opens its popup.
  const recce = tracks.find((t) => t.callsign === 'UK-RECCE-1');
  assert.ok(recce, `UK-RECCE-1 among the tracks: ${JSON.stringify(tracks.map((t) => t.callsign))}`);
  await page.evaluate(({ lat, lon }) => { window.truceMap.map.setView([lat, lon], 11, { animate: false }); }, recce);
  await page.evaluate(() => window.truceMap.drawTracks());
  const labels = await page.evaluate(() => window.truceMap.trackLabels());
  assert.ok(labels.some((l) => l.text === 'UK-RECCE-1'), `a callsign label: ${JSON.stringify(labels)}`);
  const at = await page.evaluate((uid) => window.truceMap.trackAt(uid), recce.uid);
  assert.ok(at?.drawn, `UK-RECCE-1 drawn on screen: ${JSON.stringify(at)}`);
  await page.mouse.click(at.pageX, at.pageY);
  const popup = page.locator('.leaflet-popup-content');
  await popup.waitFor({ state: 'visible', timeout: 5000 });
  assert.match(await popup.innerText(), /UK-RECCE-1/, 'the popup of the clicked unit');
  assert.match(await popup.innerText(), /a-f-G/, 'its CoT type');

  // The geofence list: at least one enter of the force stand-off zone (catch-up or live).
  const enter = page.locator('#geofence-events li[data-kind="enter"][data-fence-id="force_standoff"]').first();
  try {
    await enter.waitFor({ state: 'visible', timeout: TAK_MS });
  } catch {
    const list = await page.evaluate(() => window.truceMap.geofence());
    assert.fail(`no enter of force_standoff listed within ${TAK_MS / 1000} s: ${JSON.stringify(list)}${problems()}`);
  }
  assert.match(await enter.innerText(), /UK-RECCE-2/, 'the callsign of the unit that entered');
  assert.match(await enter.innerText(), /stand-off/i, 'the fence name');
  assert.match(await enter.innerText(), /\d{6}Z [A-Z]{3} \d{2}/, 'the time');
  const drawn = await page.evaluate(() => [document.querySelectorAll('#geofence-events li[data-kind]').length, window.truceMap.geofenceDrawn()]);
  assert.equal(drawn[1], drawn[0], 'each listed event is drawn on the map');
  // Clicking it pans to where it happened.
  await page.evaluate(() => window.truceMap.home());
  await enter.click();
  await page.waitForFunction(() => window.truceMap.map.getZoom() >= 10, null, { timeout: 5000, polling: 100 });

  // The filters apply to the geofence list: the enter is in the sector the API gives it and in no other,
  // and the units are public, so none of theirs is listed at NATO RESTRICTED.
  const uid = await enter.getAttribute('data-uid');
  const events = (await apiGet(baseUrl, session.token, 'api/v1/geofence?limit=10000')).events;
  const entered = events.find((g) => g.uid === uid && g.kind === 'enter' && g.fence_id === 'force_standoff');
  assert.ok(entered && entered.marking === 'NATO UNCLASSIFIED' && entered.releasable_to.includes('PUBLIC'),
    `the enter with its label: ${JSON.stringify(entered)}`);
  const listedUnder = (f) => page.evaluate(async (filter) => {
    await window.truceMap.setFilter(filter);
    return [...document.querySelectorAll('#geofence-events li[data-kind]')].map((li) => li.dataset.uid);
  }, f);
  assert.ok(typeof entered.sector === 'string', 'the stand-off zone lies along the line: the enter is in a sector');
  assert.ok((await listedUnder({ sector: entered.sector })).includes(uid), `listed in its sector ${entered.sector}`);
  const others = (await apiGet(baseUrl, session.token, 'api/v1/sectors')).features
    .map((x) => x.properties.id).filter((id) => id !== entered.sector);
  assert.ok(!(await listedUnder({ sector: others[0] })).includes(uid), `not listed in the sector ${others[0]}`);
  const restricted = await listedUnder({ marking: ['1'] });
  assert.ok(restricted.every((u) => u.startsWith('icao-')), `only aircraft's events at NATO RESTRICTED: ${restricted}`);
  assert.ok((await listedUnder({ nation: 'JPN' })).includes(uid), 'public: listed for a nation outside every group');
  await page.evaluate(() => window.truceMap.setFilter({}));

  const unexpected = pageProblems.filter((p) => !/favicon/.test(p));
  assert.deepEqual(unexpected, [], `the browser reported problems${problems()}`);
});

test('the sea and air layers show the demo\'s vessels and aircraft, its going-dark detection and GNSS interference', async () => {
  await page.goto(baseUrl, { waitUntil: 'domcontentloaded', timeout: 15_000 });
  try {
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: READY_MS, polling: 100 });
  } catch {
    assert.fail(`page not ready after ${READY_MS / 1000} s${problems()}`);
  }

  // Three track layers and the interference layer in the layer control.
  const overlays = page.locator('.leaflet-control-layers-overlays');
  for (const name of ['Live tracks (TAK)', 'Sea (AIS)', 'Air (ADS-B)', 'GNSS interference (ADS-B)']) {
    assert.ok(await overlays.getByText(name, { exact: true }).isVisible(), `"${name}" is in the layer control`);
  }
  // The feeds' CoT types → 2525B: sea surface (S) and air (A), civil neutral, military unknown.
  const sidcs = await page.evaluate(() => ['a-n-S-X-M-C', 'a-n-S-X-M-O', 'a-u-S-C', 'a-n-S-X', 'a-n-A-C-F', 'a-n-A-C-H', 'a-u-A-M-F-Q']
    .map((t) => window.truceMap.sidc(t)));
  assert.deepEqual(sidcs, ['SNSPXMC--------', 'SNSPXMO--------', 'SUSPC----------', 'SNSPX----------',
    'SNAPCF---------', 'SNAPCH---------', 'SUAPMFQ--------']);

  // The demo's ships (AIS) and aircraft (ADS-B), each on its own layer, not among the TAK tracks.
  try {
    await page.waitForFunction(() => window.truceMap.sea().length >= 5 && window.truceMap.air().length >= 3,
      null, { timeout: SEA_AIR_MS, polling: 250 });
  } catch {
    const now = await page.evaluate(() => ({ sea: window.truceMap.sea().length, air: window.truceMap.air().length }));
    assert.fail(`fewer than 5 vessels and 3 aircraft within ${SEA_AIR_MS / 1000} s: ${JSON.stringify(now)}${problems()}`);
  }
  const layers = await page.evaluate(() => ({ sea: window.truceMap.sea(), air: window.truceMap.air(), tak: window.truceMap.tracks() }));
  assert.ok(layers.sea.every((t) => t.uid.startsWith('ais-')), 'only ais- uids on the Sea layer');
  assert.ok(layers.air.every((t) => t.uid.startsWith('icao-')), 'only icao- uids on the Air layer');
  assert.ok(layers.tak.every((t) => !/^(ais|icao)-/.test(t.uid)), 'no vessel or aircraft on the TAK layer');
  // Drawn on the track canvas as milsymbol symbols of the right battle dimension (2525B's third letter),
  // each on its layer: switching a layer off in the layer control takes its symbols off, and only those.
  const drawnByLayer = () => page.evaluate(() => {
    window.truceMap.drawTracks();
    const all = window.truceMap.drawnTracks();
    return ['sea', 'air', 'tak'].map((layer) => all.filter((d) => d.layer === layer).map((d) => d.sidc.charAt(2)));
  });
  const drawn = await drawnByLayer();
  assert.ok(drawn[0].length >= 5 && drawn[0].every((d) => d === 'S'), `5 sea-surface symbols: ${drawn[0].join('')}`);
  assert.ok(drawn[1].length >= 3 && drawn[1].every((d) => d === 'A'), `3 air symbols: ${drawn[1].join('')}`);
  await overlays.getByText('Sea (AIS)', { exact: true }).click();
  const seaOff = await drawnByLayer();
  assert.equal(seaOff[0].length, 0, 'no vessel drawn with the Sea layer off');
  assert.ok(seaOff[1].length >= 3, 'the aircraft still drawn with the Sea layer off');
  assert.equal(await page.locator('[data-testid="track-canvas"]').getAttribute('data-sea'), '0');
  await overlays.getByText('Sea (AIS)', { exact: true }).click();
  assert.ok((await drawnByLayer())[0].length >= 5, 'the vessels back with the Sea layer on');
  assert.match(await page.locator('#sea-count').innerText(), /^\d+ vessels?$/);
  assert.match(await page.locator('#air-count').innerText(), /^\d+ aircraft$/);

  // The filters apply to the tracks by their labels. The demo's aircraft are NATO RESTRICTED released to
  // NATO (the mission's own receiver), its ships and units public. For each filter, the page's rule takes
  // exactly the tracks the API gives for the same filter (compared on the tracks held before and after
  // the filtered answer: none went stale in between, and labels do not change).
  const apiTracks = async (q) => (await apiGet(baseUrl, session.token, `api/v1/tracks${q}`)).tracks;
  const before = await apiTracks('');
  assert.ok(before.some((t) => t.uid.startsWith('icao-') && t.marking === 'NATO RESTRICTED' && t.releasable_to.join() === 'NATO'),
    `the aircraft are NATO RESTRICTED, REL TO NATO: ${JSON.stringify(before.filter((t) => t.uid.startsWith('icao-')).slice(0, 2))}`);
  assert.ok(before.some((t) => t.uid.startsWith('ais-') && t.marking === 'NATO UNCLASSIFIED' && t.releasable_to.includes('PUBLIC')),
    'the ships are public');
  for (const [f, q] of [[{ marking: ['1'] }, 'marking=1'], [{ marking: ['0'] }, 'marking=0'],
    [{ nation: 'FIN' }, 'nation=FIN'], [{ nation: 'UKR' }, 'nation=UKR'], [{ marking: ['1'], nation: 'POL' }, 'marking=1&nation=POL']]) {
    const given = new Set((await apiTracks(`?${q}`)).map((t) => t.uid));
    const after = new Set((await apiTracks('')).map((t) => t.uid));
    const held = before.filter((t) => after.has(t.uid));
    const taken = await page.evaluate(({ list, filter }) => window.truceMap.tracksTaken(list, filter), { list: held, filter: f });
    assert.deepEqual(taken.sort(), held.filter((t) => given.has(t.uid)).map((t) => t.uid).sort(), `${q}: the page takes what the API gives`);
  }
  // On the map: under NATO RESTRICTED only aircraft are drawn and counted; released to Ukraine, none.
  const drawnUnder = (f) => page.evaluate(async (filter) => {
    await window.truceMap.setFilter(filter);
    window.truceMap.drawTracks();
    return window.truceMap.drawnTracks().map((d) => d.layer);
  }, f);
  const restricted = await drawnUnder({ marking: ['1'] });
  assert.ok(restricted.length >= 3 && restricted.every((l) => l === 'air'), `only aircraft at NATO RESTRICTED: ${restricted.join(',')}`);
  assert.match(await page.locator('#tracks-count').innerText(), /^0 of \d+ live tracks$/);
  assert.match(await page.locator('#air-count').innerText(), /^(\d+) of \1 aircraft$/);
  // Exporting the live tracks under that filter: exactly what the API gives for it (the tracks held
  // both before and after the file are in it; nothing outside either answer is), each with its label.
  const apiBefore = new Set((await apiTracks('?marking=1')).map((t) => t.uid));
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 30_000 }),
    page.locator('[data-testid="export-tracks-geojson"]').click(),
  ]);
  assert.match(download.suggestedFilename(), /^truce-tracks-\d{8}T\d{6}Z\.geojson$/);
  const file = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  const apiAfter = new Set((await apiTracks('?marking=1')).map((t) => t.uid));
  const exported = file.features.map((f) => f.properties.uid);
  assert.equal(file.classification, 'NATO RESTRICTED');
  assert.ok(exported.length >= 3 && file.features.every((f) => f.properties.means === 'aircraft'
    && f.properties.marking === 'NATO RESTRICTED' && f.properties.releasable_to.join() === 'NATO'), `aircraft with their label: ${exported}`);
  assert.ok([...apiBefore].filter((u) => apiAfter.has(u)).every((u) => exported.includes(u)), 'every track the API held throughout');
  assert.ok(exported.every((u) => apiBefore.has(u) || apiAfter.has(u)), 'nothing the API did not give');
  const ukraine = await drawnUnder({ nation: 'UKR' });
  assert.ok(!ukraine.includes('air') && ukraine.includes('sea') && ukraine.includes('tak'), `no aircraft released to Ukraine: ${ukraine.join(',')}`);
  assert.match(await page.locator('#air-count').innerText(), /^0 of \d+ aircraft$/);
  await page.evaluate(() => window.truceMap.setFilter({}));

  // Aircraft report often: within the deadline one has a trail of at least two positions from the stream.
  try {
    await page.waitForFunction(() => window.truceMap.air().some((t) => t.trail >= 2), null, { timeout: SEA_AIR_MS, polling: 500 });
  } catch {
    assert.fail(`no aircraft with a trail within ${SEA_AIR_MS / 1000} s${problems()}`);
  }
  // Close to it (a trail under 2 px is not drawn), its trail is on the canvas.
  const flying = await page.evaluate(() => window.truceMap.air().find((t) => t.trail >= 2));
  await page.evaluate(({ lat, lon }) => { window.truceMap.map.setView([lat, lon], 11, { animate: false }); }, flying);
  await page.evaluate(() => window.truceMap.drawTracks());
  assert.ok(Number(await page.locator('[data-testid="track-canvas"]').getAttribute('data-trails-air')) >= 1,
    'an aircraft trail is drawn');
  // A vessel's name on hover, its popup (MMSI, type in words) on a click.
  const ship = layers.sea[0];
  await page.evaluate(({ lat, lon }) => { window.truceMap.map.setView([lat, lon], 10, { animate: false }); }, ship);
  await page.evaluate(() => window.truceMap.drawTracks());
  const shipAt = await page.evaluate((uid) => window.truceMap.trackAt(uid), ship.uid);
  assert.ok(shipAt?.drawn, `the vessel ${ship.uid} drawn on screen: ${JSON.stringify(shipAt)}`);
  await page.mouse.move(shipAt.pageX, shipAt.pageY);
  const hoverName = page.locator('.leaflet-tooltip.craft-label');
  await hoverName.waitFor({ state: 'visible', timeout: 5000 });
  await page.mouse.click(shipAt.pageX, shipAt.pageY);
  const shipPopup = page.locator('.leaflet-popup-content');
  await shipPopup.waitFor({ state: 'visible', timeout: 5000 });
  assert.match(await shipPopup.innerText(), /MMSI\s+\d{9}/, 'the vessel popup gives its MMSI');
  assert.match(await shipPopup.innerText(), /Label\s+NATO UNCLASSIFIED · REL TO PUBLIC/, 'and its label');
  await page.evaluate(() => { window.truceMap.map.closePopup(); });

  // The vessel that goes dark near Crimea: listed, named in its summary, as the API has it.
  const dark = page.locator('#detections li[data-detector="going_dark"]').first();
  try {
    await dark.waitFor({ state: 'visible', timeout: SEA_AIR_MS });
  } catch {
    const list = await page.evaluate(() => window.truceMap.detections());
    assert.fail(`no going_dark detection listed within ${SEA_AIR_MS / 1000} s: ${JSON.stringify(list)}${problems()}`);
  }
  const listed = await page.evaluate(() => window.truceMap.detections().find((d) => d.detector === 'going_dark'));
  const vessel = listed.tracks[0];
  assert.equal(vessel?.kind, 'vessel', 'a going-dark detection is about a vessel');
  const api = (await apiGet(baseUrl, session.token, 'api/v1/detections')).detections;
  assert.ok(api.some((d) => d.detector === 'going_dark' && d.time === listed.time && d.summary === listed.summary),
    'the listed going_dark detection is one the API gives');
  const name = layers.sea.find((t) => t.uid === vessel.uid)?.callsign;
  const summary = await dark.locator('.summary').innerText();
  assert.ok(summary.includes(String(vessel.id)) || (name && summary.includes(name)),
    `the summary names the vessel (MMSI ${vessel.id}${name ? ` or ${name}` : ''}): ${summary}`);
  assert.match(await dark.innerText(), /Going dark/);
  assert.match(await dark.innerText(), /\d{6}Z [A-Z]{3} \d{2}/, 'the time as a DTG');
  // Clicking it goes there and draws its evidence.
  await page.evaluate(() => window.truceMap.home());
  await page.evaluate(() => {
    window.__moved = new Promise((resolve) => { window.truceMap.map.once('moveend', resolve); setTimeout(resolve, 5000); });
  });
  await dark.click();
  await page.evaluate(() => window.__moved.then(() => true)); // not the event: it holds the whole map
  await page.waitForFunction(() => window.truceMap.map.getZoom() >= 8, null, { timeout: 5000, polling: 100 });
  assert.ok(await page.locator('.leaflet-evidence-pane path.evidence-fix').count() >= 1, 'the last fix before the gap is drawn');
  assert.match(await dark.getAttribute('class'), /selected/);

  // GNSS interference near the line: at least one cell of level some or high, drawn with its level.
  try {
    await page.waitForFunction(() => window.truceMap.interference().some((c) => c.level === 'some' || c.level === 'high'),
      null, { timeout: SEA_AIR_MS, polling: 500 });
  } catch {
    const cells = await page.evaluate(() => window.truceMap.interference());
    assert.fail(`no interference cell of level some or high within ${SEA_AIR_MS / 1000} s: ${JSON.stringify(cells)}${problems()}`);
  }
  assert.ok(await page.locator('[data-testid="interference-cell"][data-level="some"], [data-testid="interference-cell"][data-level="high"]').count() >= 1,
    'an interference cell of level some or high is on the map');

  // The filters apply to the detections and the cells by their labels and places, as the API gives them:
  // the interference (ADS-B, NATO RESTRICTED REL TO NATO) is not released to Ukraine, the going-dark
  // vessel (public AIS) is not NATO RESTRICTED; an area far away holds none.
  const apiDetections = (await apiGet(baseUrl, session.token, 'api/v1/detections')).detections;
  const darkApi = apiDetections.find((d) => d.detector === 'going_dark');
  assert.ok(darkApi && Number.isFinite(darkApi.lat) && Number.isFinite(darkApi.lon) && darkApi.marking === 'NATO UNCLASSIFIED',
    `the going-dark detection has its place and label: ${JSON.stringify(darkApi)}`);
  const cellsApi = (await apiGet(baseUrl, session.token, 'api/v1/interference')).features;
  assert.ok(cellsApi.length && cellsApi.every((f) => f.properties.marking === 'NATO RESTRICTED' && f.properties.releasable_to.join() === 'NATO'),
    'the cells carry the ADS-B feed\'s label');
  const listedUnder = (f) => page.evaluate(async (filter) => {
    await window.truceMap.setFilter(filter);
    const items = [...document.querySelectorAll('#detections li[data-detector]')].map((li) => li.dataset.detector);
    return { items, cells: window.truceMap.interference().length };
  }, f);
  const ukr = await listedUnder({ nation: 'UKR' });
  assert.ok(ukr.items.includes('going_dark') && !ukr.items.includes('gnss_interference') && ukr.cells === 0,
    `released to Ukraine: the vessel's detection, no interference: ${JSON.stringify(ukr)}`);
  const restrictedOnly = await listedUnder({ marking: ['1'] });
  assert.ok(!restrictedOnly.items.includes('going_dark') && restrictedOnly.cells > 0,
    `NATO RESTRICTED: the cells, not the vessel: ${JSON.stringify(restrictedOnly)}`);
  const far = await listedUnder({ area: { type: 'bbox', bbox: [20, 40, 21, 41] } });
  assert.deepEqual(far, { items: [], cells: 0 }, 'nothing in an area far away');
  assert.match(await page.locator('#detections').innerText(), /No detections in the view/);
  await page.evaluate(() => window.truceMap.setFilter({}));
  assert.ok((await page.locator('#detections li[data-detector="going_dark"]').count()) >= 1, 'listed again without the filter');

  await page.evaluate(() => { window.truceMap.map.setView([45.6, 32], 7, { animate: false }); });
  await page.screenshot({ path: SEA_AIR_SCREENSHOT });

  const unexpected = pageProblems.filter((p) => !/favicon/.test(p));
  assert.deepEqual(unexpected, [], `the browser reported problems${problems()}`);
});

test('the reports page loads the daily report of the demo week into its frame', async () => {
  // Yesterday in Kyiv is inside the demo's simulated week whatever the time of day.
  const yesterday = new Date(Date.now() - 86400 * 1000).toLocaleDateString('en-CA', { timeZone: 'Europe/Kyiv' });
  await page.goto(`${baseUrl}reports.html?date=${yesterday}`, { waitUntil: 'domcontentloaded', timeout: 15_000 });
  const frame = page.frameLocator('#report');
  await frame.locator('h1').waitFor({ state: 'visible', timeout: READY_MS });
  assert.match(await frame.locator('h1').innerText(), new RegExp(`^Daily report ${yesterday}`));
  const sections = await frame.locator('h2').allInnerTexts();
  for (const want of ['Summary', 'Ceasefire violations', 'Map', 'Weapons', 'Freedom of movement', 'Civilian casualties', 'Annex']) {
    assert.ok(sections.some((s) => s.includes(want)), `no section "${want}" in ${JSON.stringify(sections)}`);
  }
  assert.ok(await frame.locator('svg').count() >= 2, 'charts and map are inline SVG');
  assert.match(await page.locator('#banner-top').innerText(), /NATO UNCLASSIFIED/);
  assert.equal(await page.locator('#download-html').getAttribute('aria-disabled'), 'false', 'download offered');
  const problems = pageProblems.filter((p) => !/favicon/.test(p));
  assert.deepEqual(problems, [], 'the browser reported problems');
});
