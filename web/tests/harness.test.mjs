// The harness's own rule for failed requests, on a small local server (no demo): a request the page
// still had in flight when the test opened another page is not a problem (the browser cuts it off, as
// for a user who leaves), but a request the page itself gave up on is, and so is one that fails with
// the page still open. The map's tests rely on both halves: the first keeps them from failing when a
// live observation's recount is under way as they move on, the second keeps a real time-out visible.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { launchBrowser, watch } from './harness.mjs';

let server;
let base;
let browser;
// Requests the server holds without answering, by path, with a waiter for each one's arrival.
const held = new Map();
const arrived = new Map();

function arrival(path) {
  if (!arrived.has(path)) {
    let resolve;
    arrived.set(path, { promise: new Promise((r) => { resolve = r; }), resolve });
  }
  return arrived.get(path);
}

const PAGES = {
  // Asks /slow/left and is left while the answer is still to come.
  '/leaves.html': "<script>fetch('/slow/left').catch(() => {});</script><p>leaves</p>",
  // Gives up on /slow/own after 200 ms, with its own AbortController, as the map does after 20 s.
  '/gives-up.html': "<script>const c = new AbortController(); setTimeout(() => c.abort(), 200);"
    + "fetch('/slow/own', { signal: c.signal }).catch(() => { document.body.dataset.gaveUp = '1'; });</script><p>gives up</p>",
  '/other.html': '<p>other</p>',
};

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url.startsWith('/slow/')) {
      held.set(req.url, res);
      arrival(req.url).resolve();
      return;
    }
    if (req.url === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    const body = PAGES[req.url];
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html' });
    res.end(body ?? '');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  const { chromium } = await import('playwright-core');
  browser = await launchBrowser(chromium);
});

after(async () => {
  for (const res of held.values()) res.destroy();
  await browser?.close();
  server?.closeAllConnections();
  server?.close();
});

/** A fresh page watched by the harness, and a promise for `path`'s request failing. */
async function watched(path) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watch(page);
  const failed = page.waitForEvent('requestfailed', { predicate: (r) => r.url().endsWith(path), timeout: 10_000 });
  return { context, page, problems, failed };
}

test('a request cut off because the page was left is not a problem', async () => {
  const { context, page, problems, failed } = await watched('/slow/left');
  await page.goto(`${base}/leaves.html`);
  await arrival('/slow/left').promise;
  await page.goto(`${base}/other.html`);
  const request = await failed;
  assert.equal(request.failure()?.errorText, 'net::ERR_ABORTED', 'the browser cut it off');
  assert.deepEqual(problems, [], 'nothing reported');
  await context.close();
});

test('a request the page gave up on while still open is a problem', async () => {
  const { context, page, problems, failed } = await watched('/slow/own');
  await page.goto(`${base}/gives-up.html`);
  await failed;
  await page.waitForFunction(() => document.body.dataset.gaveUp === '1', null, { timeout: 10_000 });
  // Then left: that does not excuse it.
  await page.goto(`${base}/other.html`);
  assert.deepEqual(problems, [`request failed: ${base}/slow/own (net::ERR_ABORTED)`]);
  await context.close();
});
