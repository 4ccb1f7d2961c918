// What the browser tests share: the real `truce demo` on a free port with a fresh data directory, and
// Debian's Chromium driven by playwright-core (which never downloads a browser), with every problem the
// page reports (errors, failed requests, HTTP errors) collected so a test can assert there were none.
// The pages need a session: startSession logs its page in through the login form (as `admin` unless
// told otherwise; the demo's users share DEMO_PASSWORD), and the token stays in the tab's
// sessionStorage for the pages the test opens next. apiLogin/apiGet are the API for the test itself.
//
//   const s = await startSession({ demoArgs: ['--days', '1'], tmpPrefix: 'truce-x-' });
//   ... s.page, s.baseUrl, s.problems, s.token (admin's, for the test's own requests) ...
//   const other = await s.newPage();   // a second browser context: its own storage and cookies
//   await login(other.page, s.baseUrl, 'pol.rep');
//   await s.close();
//
// TRUCE_BIN overrides the binary (default target/debug/truce), CHROMIUM_BIN the browser.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const TRUCE_BIN = path.resolve(ROOT, process.env.TRUCE_BIN || 'target/debug/truce');
export const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
export const READY_MS = 30_000;
// A debug build generates the demo week before it listens: about 10 s on an idle 2-core machine, several
// times that when the machine is busy building (seen: over 30 s in a fresh clone). A deadline, not a wait.
const STARTUP_MS = 120_000;
/** The password of every user `truce demo` creates. */
export const DEMO_PASSWORD = 'ceasefire-demo';

/** Where a test's screenshot goes (target/screenshots/NAME). */
export function screenshotPath(name) {
  const p = path.join(ROOT, 'target', 'screenshots', name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  return p;
}

function tail(s, n = 2000) {
  return s.length > n ? `…${s.slice(-n)}` : s;
}

/** Starts `truce demo --port 0 --data-dir <fresh> ...args`; resolves once it prints its address. */
function startDemo(args, tmpPrefix) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  const all = ['demo', '--port', '0', '--data-dir', dataDir, ...args];
  const server = spawn(TRUCE_BIN, all, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const started = new Promise((resolve, reject) => {
    let stdoutBuf = '';
    const timer = setTimeout(() => {
      reject(new Error(`\`${TRUCE_BIN} ${all.join(' ')}\` printed no "http://127.0.0.1:<port>/" within ` +
        `${STARTUP_MS / 1000} s. Output so far:\n${tail(log)}`));
    }, STARTUP_MS);
    server.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${TRUCE_BIN}: ${e.message}`));
    });
    server.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`truce demo exited early (code ${code}, signal ${signal}). Output:\n${tail(log)}`));
    });
    server.stderr.on('data', (d) => { log += d; });
    server.stdout.on('data', (d) => {
      log += d;
      stdoutBuf += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdoutBuf);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}/`);
      }
    });
  });
  const stop = async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { started, stop };
}

/** Logs in through the API; returns the session token. */
export async function apiLogin(baseUrl, user = 'admin', password = DEMO_PASSWORD) {
  const res = await fetch(new URL('api/v1/login', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `POST /api/v1/login as ${user}: HTTP ${res.status} ${text}`);
  return JSON.parse(text).token;
}

/** GET an API path (relative to the server) with a bearer token; the parsed JSON. */
export async function apiGet(baseUrl, token, path) {
  const res = await fetch(new URL(path, baseUrl), { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  assert.equal(res.status, 200, `GET ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Every observation id the API gives `token` (GeoJSON pages followed), with each one's label. */
export async function apiObservations(baseUrl, token, query) {
  const out = new Map();
  let cursor = null;
  for (let i = 0; i < 200; i++) {
    const q = new URLSearchParams({ ...query, limit: '5000', format: 'geojson' });
    if (cursor) q.set('cursor', cursor);
    const fc = await apiGet(baseUrl, token, `api/v1/observations?${q}`);
    for (const f of fc.features || []) out.set(f.properties.id, f.properties);
    cursor = fc.next ?? null;
    if (!cursor || !(fc.features || []).length) break;
  }
  return out;
}

/**
 * Collects what a page reports into `problems`. The pages' first request, GET api/v1/me, answers 401
 * before anyone has logged in, and so does a refused login: those are expected, not problems. A request
 * the page still had in flight when it was left (a test opening another page while the map asks its
 * counts again after a live observation) is cut off by the browser, as it is for a user who leaves the
 * page: not a problem either. Every other failed request is, the page's own time-outs included.
 */
export function watch(page, problems = []) {
  const expected401 = (url) => /\/api\/v1\/(me|login)$/.test(new URL(url).pathname);
  // Requests in flight, and those of them that belonged to a document the page has since left.
  const inFlight = new Set();
  const left = new WeakSet();
  page.on('request', (r) => {
    if (r.isNavigationRequest() && r.frame() === page.mainFrame()) {
      for (const old of inFlight) left.add(old);
    } else {
      inFlight.add(r);
    }
  });
  page.on('requestfinished', (r) => inFlight.delete(r));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location()?.url || '';
    if (/status of 401/.test(m.text()) && url && expected401(url)) return;
    problems.push(`console error: ${m.text()} (${url || '?'})`);
  });
  page.on('requestfailed', (r) => {
    inFlight.delete(r);
    const error = r.failure()?.errorText;
    if (left.has(r) && error === 'net::ERR_ABORTED') return;
    problems.push(`request failed: ${r.url()} (${error})`);
  });
  page.on('response', (r) => {
    if (r.status() === 401 && expected401(r.url())) return;
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

/**
 * Logs a page in through the login form: opens `path` (default the reports page, which asks nothing of
 * the server before someone has logged in) unless `open` is false (the form is already up), fills the
 * form and waits for the user to show in the header. Once logged in, the reports page loads the last
 * complete period's report: that is waited for too (`body[data-ready]`), so that a test going on to
 * another page finds the session settled, not a report still loading.
 */
export async function login(page, baseUrl, user = 'admin', { password = DEMO_PASSWORD, path = 'reports.html', open = true } = {}) {
  if (open) await page.goto(new URL(path, baseUrl).href, { waitUntil: 'domcontentloaded', timeout: 15_000 });
  await page.locator('[data-testid="login-form"]').waitFor({ state: 'visible', timeout: 10_000 });
  await page.locator('[data-testid="login-user"]').fill(user);
  await page.locator('[data-testid="login-password"]').fill(password);
  await page.locator('[data-testid="login-submit"]').click();
  await page.locator('[data-testid="session-user"]').waitFor({ state: 'visible', timeout: 10_000 });
  await page.locator('[data-testid="login"]').waitFor({ state: 'hidden', timeout: 10_000 });
  if (new URL(page.url()).pathname.endsWith('/reports.html')) {
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: READY_MS, polling: 100 });
  }
}

/** Debian's Chromium, headless, through playwright-core's `chromium` (which gives it a fresh, empty profile). */
export function launchBrowser(chromium) {
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 20_000,
    args: [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/**
 * The demo and a browser page on it, logged in as `user` (null: not logged in). `problems` collects
 * what the page reports; `report()` formats it for an assertion message; `newPage()` opens a page in a
 * fresh browser context; `close()` stops everything.
 */
export async function startSession({
  demoArgs = [], tmpPrefix = 'truce-web-test-', viewport = { width: 1400, height: 900 }, user = 'admin',
} = {}) {
  assert.ok(fs.existsSync(TRUCE_BIN),
    `truce binary not found at ${TRUCE_BIN}: build it (cargo build -p truce) or set TRUCE_BIN`);
  assert.ok(fs.existsSync(CHROMIUM),
    `Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_BIN)`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    assert.fail(`playwright-core is not installed: run \`npm ci\` in web/ (${e.message})`);
  }
  const demo = startDemo(demoArgs, tmpPrefix);
  let baseUrl;
  try {
    baseUrl = await demo.started;
  } catch (e) {
    await demo.stop().catch(() => {});
    throw e;
  }
  const browser = await launchBrowser(chromium);
  const newPage = async () => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const problems = watch(page);
    const report = () => (problems.length ? `\nbrowser reported:\n  ${problems.join('\n  ')}` : '');
    return { context, page, problems, report };
  };
  const first = await newPage();
  const { page, problems } = first;
  let token = null;
  try {
    token = await apiLogin(baseUrl);
    if (user) await login(page, baseUrl, user);
  } catch (e) {
    await browser.close().catch(() => {});
    await demo.stop().catch(() => {});
    throw e;
  }
  return {
    baseUrl,
    browser,
    page,
    problems,
    token,
    newPage,
    report: first.report,
    close: async () => {
      await browser.close().catch(() => {});
      await demo.stop().catch(() => {});
    },
  };
}
