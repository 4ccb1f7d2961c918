// What the browser tests share: the real `truce demo` on a free port with a fresh data directory, and
// Debian's Chromium driven by playwright-core (which never downloads a browser), with every problem the
// page reports (errors, failed requests, HTTP errors) collected so a test can assert there were none.
//
//   const s = await startSession({ demoArgs: ['--days', '1'], tmpPrefix: 'truce-x-' });
//   ... s.page, s.baseUrl, s.problems ...
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
const STARTUP_MS = 30_000;

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

/**
 * The demo and a browser page on it. `problems` collects what the page reports; `report()` formats it
 * for an assertion message; `close()` stops both.
 */
export async function startSession({ demoArgs = [], tmpPrefix = 'truce-web-test-', viewport = { width: 1400, height: 900 } } = {}) {
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
  // playwright-core gives the browser a fresh, empty profile directory of its own.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 20_000,
    args: [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = await browser.newPage({ viewport });
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location()?.url || '?'})`); });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  return {
    baseUrl,
    browser,
    page,
    problems,
    report: () => (problems.length ? `\nbrowser reported:\n  ${problems.join('\n  ')}` : ''),
    close: async () => {
      await browser.close().catch(() => {});
      await demo.stop().catch(() => {});
    },
  };
}
