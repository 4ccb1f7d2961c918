// End-to-end test of the coalition page against the REAL truce demo (which imports the shipped
// coalition: data/coalition/), in a real (headless) Chromium. Same harness as map.test.mjs.
//
//   cargo build -p truce            # or set TRUCE_BIN to a built binary
//   (cd web && npm ci)              # leaflet, milsymbol, playwright-core
//   node --test web/tests/coalition.test.mjs
//
// Needs Debian's chromium at /usr/bin/chromium; playwright-core never downloads a browser.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const TRUCE_BIN = path.resolve(ROOT, process.env.TRUCE_BIN || 'target/debug/truce');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const SCREENSHOT = path.join(ROOT, 'target', 'screenshots', 'coalition.png');
const STARTUP_MS = 30_000;
const READY_MS = 30_000;

let server;
let serverLog = '';
let baseUrl;
let browser;
let page;
const tmpDirs = [];
const pageProblems = [];

function tail(s, n = 2000) {
  return s.length > n ? `…${s.slice(-n)}` : s;
}

/** Starts `truce demo` and resolves with its base URL once it prints it. */
function startDemo() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'truce-coalition-test-'));
  tmpDirs.push(dataDir);
  const args = ['demo', '--port', '0', '--data-dir', dataDir, '--days', '1'];
  server = spawn(TRUCE_BIN, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let stdoutBuf = '';
    const timer = setTimeout(() => {
      reject(new Error(`\`${TRUCE_BIN} ${args.join(' ')}\` printed no address within ${STARTUP_MS / 1000} s. Output:\n${tail(serverLog)}`));
    }, STARTUP_MS);
    server.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot start ${TRUCE_BIN}: ${e.message}`)); });
    server.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`truce demo exited early (code ${code}, signal ${signal}). Output:\n${tail(serverLog)}`));
    });
    server.stderr.on('data', (d) => { serverLog += d; });
    server.stdout.on('data', (d) => {
      serverLog += d;
      stdoutBuf += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdoutBuf);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}/`);
      }
    });
  });
}

async function stopDemo() {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  const timer = setTimeout(() => server.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

before(async () => {
  assert.ok(fs.existsSync(TRUCE_BIN), `truce binary not found at ${TRUCE_BIN}: build it (cargo build -p truce) or set TRUCE_BIN`);
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_BIN)`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    assert.fail(`playwright-core is not installed: run \`npm ci\` in web/ (${e.message})`);
  }
  baseUrl = await startDemo();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 20_000,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  page.on('pageerror', (e) => pageProblems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') pageProblems.push(`console error: ${m.text()} (${m.location()?.url || '?'})`); });
  page.on('requestfailed', (r) => pageProblems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => { if (r.status() >= 400) pageProblems.push(`HTTP ${r.status()}: ${r.url()}`); });
});

after(async () => {
  await browser?.close().catch(() => {});
  await stopDemo().catch(() => {});
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

const problems = () => (pageProblems.length ? `\nbrowser reported:\n  ${pageProblems.join('\n  ')}` : '');

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
  assert.match(await page.locator('#banner-top').innerText(), /NATO UNCLASSIFIED/);
  assert.match(await page.locator('.leaflet-control-attribution').innerText(), /© OpenStreetMap contributors/);

  await page.evaluate(() => window.truceCoalition.fit());
  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT });
  const unexpected = pageProblems.filter((p) => !/favicon/.test(p));
  assert.deepEqual(unexpected, [], `the browser reported problems${problems()}`);
});
