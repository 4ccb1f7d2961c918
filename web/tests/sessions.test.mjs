// End-to-end test of the pages' login, and of what each nation sees, against the REAL truce demo in a
// real (headless) Chromium, through harness.mjs.
//
//   cargo build -p truce            # or set TRUCE_BIN to a built binary
//   (cd web && npm ci)              # playwright-core and the pages' packages
//   node --test web/tests/sessions.test.mjs
//
// The demo's users (password DEMO_PASSWORD): pol.rep (POL, national rep, NATO RESTRICTED) and gbr.watch
// (GBR, watch officer, NATO SECRET, SOURCES). The demo labels one observation in ten NATO CONFIDENTIAL
// REL TO GBR,FRA, so the GBR officer's map holds observations the Polish representative's does not.
// Each user is in a browser context of their own (own sessionStorage and cookies), on the same server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { READY_MS, apiLogin, apiObservations, login, startSession } from './harness.mjs';

const LIVE_MS = 15_000;
const MARKINGS = ['NATO UNCLASSIFIED', 'NATO RESTRICTED', 'NATO CONFIDENTIAL', 'NATO SECRET', 'COSMIC TOP SECRET'];
const highest = (labels) => MARKINGS[Math.max(0, ...[...labels].map((o) => MARKINGS.indexOf(o.marking)))];

let session;
let baseUrl;

before(async () => {
  session = await startSession({ demoArgs: ['--days', '2'], tmpPrefix: 'truce-sessions-test-', user: null });
  ({ baseUrl } = session);
});

after(async () => {
  await session?.close();
});

/** Waits for the map page to be ready (or fails with what the browser reported). */
async function mapReady(p) {
  try {
    await p.page.waitForFunction(() => ['true', 'error'].includes(document.body.dataset.ready), null,
      { timeout: READY_MS, polling: 100 });
  } catch {
    assert.fail(`map not ready after ${READY_MS / 1000} s${p.report()}`);
  }
  const ready = await p.page.evaluate(() => ({ ready: document.body.dataset.ready, error: document.body.dataset.error }));
  assert.equal(ready.ready, 'true', `the map reported an error: ${ready.error}${p.report()}`);
}

/** The map's ids once they are exactly what the API gives `token` for the map's window (live ones may
 * arrive meanwhile: waits until both agree). */
async function sameAsApi(p, token, who) {
  const since = await p.page.evaluate(() => window.truceMap.since());
  assert.match(since, /^\d{4}-\d{2}-\d{2}T/, 'the map knows its window');
  let api;
  let shown;
  const deadline = Date.now() + LIVE_MS;
  for (;;) {
    api = await apiObservations(baseUrl, token, { since });
    shown = new Set(await p.page.evaluate(() => window.truceMap.ids()));
    const extra = [...shown].filter((id) => !api.has(id));
    const missing = [...api.keys()].filter((id) => !shown.has(id));
    if (!extra.length && !missing.length) break;
    if (Date.now() > deadline) {
      assert.fail(`${who}: the map and GET /api/v1/observations differ: ${extra.length} on the map only ` +
        `(${extra.slice(0, 5)}), ${missing.length} from the API only (${missing.slice(0, 5)})${p.report()}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { api, shown };
}

test('a wrong password shows the error and loads no data', async () => {
  const p = await session.newPage();
  const apiRequests = [];
  p.page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/api/') && !/^\/api\/v1\/(me|login)$/.test(path)) apiRequests.push(path);
  });
  await p.page.goto(baseUrl, { waitUntil: 'domcontentloaded', timeout: 15_000 });
  await p.page.locator('[data-testid="login-form"]').waitFor({ state: 'visible', timeout: 10_000 });
  await p.page.locator('[data-testid="login-user"]').fill('pol.rep');
  await p.page.locator('[data-testid="login-password"]').fill('not-the-password');
  await p.page.locator('[data-testid="login-submit"]').click();
  const error = p.page.locator('[data-testid="login-error"]');
  await error.waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal(await error.innerText(), 'invalid user name or password');
  assert.ok(await p.page.locator('[data-testid="login-form"]').isVisible(), 'the form stays');
  assert.ok(await p.page.locator('[data-testid="session-user"]').isHidden(), 'nobody is shown as logged in');
  await p.page.waitForTimeout(500);
  assert.deepEqual(apiRequests, [], 'no data was asked for');
  const page = await p.page.evaluate(() => ({
    ready: document.body.dataset.ready ?? null,
    observations: window.truceMap.counts().observations,
    token: sessionStorage.getItem('truce.session'),
  }));
  assert.deepEqual(page, { ready: null, observations: 0, token: null }, 'nothing loaded, no token kept');
  assert.deepEqual(p.problems, [], `the browser reported problems${p.report()}`);
  await p.context.close();
});

test('two nations on one server: each map shows exactly what the API gives that user, and they differ', async () => {
  const pol = await session.newPage();
  const gbr = await session.newPage();
  await login(pol.page, baseUrl, 'pol.rep', { path: '' });
  await login(gbr.page, baseUrl, 'gbr.watch', { path: '' });
  await Promise.all([mapReady(pol), mapReady(gbr)]);

  // Who is logged in, in the header.
  assert.equal(await pol.page.locator('[data-testid="session-user"]').innerText(), 'pol.rep · POL · national rep');
  assert.equal(await gbr.page.locator('[data-testid="session-user"]').innerText(), 'gbr.watch · GBR · watch officer');

  // The test's own tokens for the same users.
  const polToken = await apiLogin(baseUrl, 'pol.rep');
  const gbrToken = await apiLogin(baseUrl, 'gbr.watch');
  const p = await sameAsApi(pol, polToken, 'pol.rep');
  const g = await sameAsApi(gbr, gbrToken, 'gbr.watch');
  assert.ok(p.shown.size > 50, `pol.rep sees a map of observations (${p.shown.size})`);

  // They differ: GBR sees the demo's REL TO GBR,FRA observations, POL does not; nothing POL may not see.
  const gbrOnly = [...g.api.values()].filter((o) => !p.api.has(o.id));
  assert.ok(gbrOnly.length > 0, 'the GBR officer sees observations the Polish representative does not');
  assert.ok(gbrOnly.some((o) => o.releasable_to?.includes('GBR') && !o.releasable_to?.includes('POL')),
    `an observation released to GBR and not POL among ${JSON.stringify(gbrOnly.slice(0, 3).map((o) => [o.id, o.marking, o.releasable_to]))}`);
  for (const o of p.api.values()) {
    assert.ok(MARKINGS.indexOf(o.marking) <= MARKINGS.indexOf('NATO RESTRICTED'),
      `pol.rep (NATO RESTRICTED) is shown ${o.id} marked ${o.marking}`);
  }
  const secret = gbrOnly.find((o) => o.releasable_to?.includes('GBR') && !o.releasable_to?.includes('POL'));
  assert.equal(await gbr.page.evaluate((id) => window.truceMap.has(id), secret.id), true, 'on the GBR map');
  assert.equal(await pol.page.evaluate((id) => window.truceMap.has(id), secret.id), false, 'not on the POL map');

  // The banners: the highest marking among what each map shows.
  for (const [who, x, seen] of [['pol.rep', pol, p], ['gbr.watch', gbr, g]]) {
    const want = highest(seen.api.values());
    for (const id of ['banner-top', 'banner-bottom']) {
      const b = x.page.locator(`#${id}`);
      assert.equal(await b.getAttribute('data-marking'), want, `${who}'s ${id}`);
      assert.ok((await b.innerText()).startsWith(want), `${who}'s ${id} says ${want}`);
    }
  }
  assert.notEqual(await pol.page.locator('#banner-top').getAttribute('data-marking'),
    await gbr.page.locator('#banner-top').getAttribute('data-marking'), 'the two banners differ');

  // Live: an observation released to GBR only reaches the GBR map over the stream, never the POL map;
  // one released to both reaches both.
  const admin = session.token;
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const post = async (id, marking, rel) => {
    const res = await fetch(new URL('api/v1/observations', baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ id, time: now, lat: 48.6, lon: 37.9, category: 'explosion_impact', count: 1,
        observer: { means: 'patrol', team: 'test' }, marking, releasable_to: rel }),
    });
    assert.equal(res.status, 201, `POST ${id}: HTTP ${res.status} ${await res.text()}`);
  };
  await post('sessions-gbr-only', 'NATO SECRET', ['GBR']);
  await post('sessions-both', 'NATO RESTRICTED', ['GBR', 'POL']);
  for (const [who, x, ids] of [['gbr.watch', gbr, ['sessions-gbr-only', 'sessions-both']], ['pol.rep', pol, ['sessions-both']]]) {
    try {
      await x.page.waitForFunction((want) => want.every((id) => window.truceMap.has(id)), ids, { timeout: LIVE_MS, polling: 100 });
    } catch {
      assert.fail(`${who}: ${ids} did not arrive live (stream ${await x.page.evaluate(() => window.truceMap.connection())})${x.report()}`);
    }
  }
  assert.equal(await pol.page.evaluate(() => window.truceMap.has('sessions-gbr-only')), false, 'the GBR-only one is not on the POL map');
  assert.equal(await gbr.page.locator('#banner-top').getAttribute('data-marking'), 'NATO SECRET', 'the GBR banner rose with it');
  assert.equal(await pol.page.locator('#banner-bottom').getAttribute('data-marking'), highest(p.api.values()), 'the POL banner did not');

  for (const x of [pol, gbr]) {
    const unexpected = x.problems.filter((s) => !/favicon/.test(s));
    assert.deepEqual(unexpected, [], `the browser reported problems${x.report()}`);
  }

  // Logout: back to the form, the token gone and ended on the server; the data gone with the page.
  const token = await pol.page.evaluate(() => sessionStorage.getItem('truce.session'));
  assert.match(token, /^truce_/);
  await pol.page.locator('[data-testid="logout"]').click();
  await pol.page.locator('[data-testid="login-form"]').waitFor({ state: 'visible', timeout: 10_000 });
  assert.ok(await pol.page.locator('[data-testid="session-user"]').isHidden(), 'nobody shown as logged in');
  const after = await pol.page.evaluate(() => ({
    token: sessionStorage.getItem('truce.session'),
    observations: window.truceMap.counts().observations,
  }));
  assert.deepEqual(after, { token: null, observations: 0 });
  const me = await fetch(new URL('api/v1/me', baseUrl), { headers: { authorization: `Bearer ${token}` } });
  assert.equal(me.status, 401, 'the session ended on the server');
  // The other nation's tab is unaffected.
  assert.equal(await gbr.page.evaluate(() => window.truceMap.connection()), 'open');
  await pol.context.close();
  await gbr.context.close();
});

test('the reports and coalition pages log in, show the user, and mark their banners', async () => {
  const p = await session.newPage();
  await login(p.page, baseUrl, 'ita.analyst', { path: 'coalition.html' });
  await p.page.waitForFunction(() => ['true', 'error'].includes(document.body.dataset.ready), null, { timeout: READY_MS, polling: 100 });
  assert.equal(await p.page.evaluate(() => document.body.dataset.ready), 'true', `coalition page${p.report()}`);
  assert.equal(await p.page.locator('[data-testid="session-user"]').innerText(), 'ita.analyst · ITA · analyst');
  // Italy (NATO, cleared to NATO CONFIDENTIAL) is shown the NATO CONFIDENTIAL reserve plan in the list.
  assert.equal(await p.page.locator('#banner-top').getAttribute('data-marking'), 'NATO CONFIDENTIAL');
  assert.equal(await p.page.locator('#banner-bottom').innerText(), 'NATO CONFIDENTIAL');

  // The reports page in the same tab: the session carries over; the restricted edition's banner is the
  // report's own: its marking and the rest of its label (release, categories).
  const yesterday = new Date(Date.now() - 86400 * 1000).toLocaleDateString('en-CA', { timeZone: 'Europe/Kyiv' });
  await p.page.goto(`${baseUrl}reports.html?date=${yesterday}&edition=restricted`, { waitUntil: 'domcontentloaded' });
  const frame = p.page.frameLocator('#report');
  await frame.locator('h1').waitFor({ state: 'visible', timeout: READY_MS });
  const own = await frame.locator('meta[name="classification"]').getAttribute('content');
  assert.ok(MARKINGS.includes(own), `the report has a marking (${own})`);
  const full = await frame.locator('meta[name="banner"]').getAttribute('content');
  assert.ok(full.startsWith(`${own} // `) && full.includes('REL TO'), `the report states its label (${full})`);
  assert.equal(await p.page.locator('#banner-top').innerText(), full);
  assert.equal(await p.page.locator('#banner-bottom').getAttribute('data-marking'), own);
  // A download goes with the token.
  const [download] = await Promise.all([
    p.page.waitForEvent('download', { timeout: 10_000 }),
    p.page.locator('#download-json').click(),
  ]);
  assert.match(download.suggestedFilename(), /^truce-daily-.*-restricted\.json$/);

  // Logout from the reports page.
  await p.page.locator('[data-testid="logout"]').click();
  await p.page.locator('[data-testid="login-form"]').waitFor({ state: 'visible', timeout: 10_000 });
  const unexpected = p.problems.filter((s) => !/favicon/.test(s));
  assert.deepEqual(unexpected, [], `the browser reported problems${p.report()}`);
  await p.context.close();
});
