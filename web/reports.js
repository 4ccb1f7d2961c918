// The reports page: builds the report's URL from the form, loads the HTML report into a sandboxed
// iframe (no script runs in it), offers the same report as HTML, Markdown and JSON downloads, and
// shows the loaded report's classification in the page's own banners: the report's own banner (the
// HTML's `classification` and `banner`, the JSON's `classification` and `banner`: the label of what
// the report contains), else the highest `marking` of its items.
// Every request carries the session token (session.js); the downloads are fetched with it and handed
// to the browser as files. No framework, no build step.
// Dates: the page opens on the last complete period (the daily report of yesterday UTC; the status
// report of the two weeks ending yesterday), a date after today UTC is refused before anything is asked
// of the server (which refuses it too) and the report shown stays, and a report whose period is still
// under way says so above the frame.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const form = $('form');
  const frame = $('report');
  const error = $('error');
  const notice = $('notice');
  const DAY_MS = 86400 * 1000;
  // Dates are YYYY-MM-DD in UTC, so that "today" is the server's.
  const utcDate = (ms) => new Date(ms).toISOString().slice(0, 10);
  const today = () => utcDate(Date.now());
  const addDays = (date, n) => utcDate(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS);
  const LABELS = { date: 'Date', from: 'From' };
  // The value of each date field behind the report shown (what a refused date is put back to).
  const shown = {};

  // The instant (ms) a wall-clock time on a date has in an IANA zone, or null for an unknown zone:
  // the zone's offset is read back from Intl, twice so that a clock change in between is caught.
  function zonedInstant(date, hhmm, tz) {
    const [y, m, d] = date.split('-').map(Number);
    const [hh, mm] = hhmm.split(':').map(Number);
    const wall = Date.UTC(y, m - 1, d, hh, mm);
    let fmt;
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    } catch (_) {
      return null;
    }
    const offset = (t) => {
      const p = Object.fromEntries(fmt.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
      return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second) - t;
    };
    return wall - offset(wall - offset(wall));
  }

  // A message for a date field after today UTC, or null.
  function futureDate(id) {
    const value = $(id).value;
    if (!value || value <= today()) return null;
    return `${LABELS[id]}: ${value} is after today (${today()}, UTC). A report covers only periods that ` +
      'have ended or are under way; the report shown is unchanged.';
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
  }

  // Says above the frame when the period of the report just loaded is not over yet.
  function showIncomplete() {
    const kind = $('kind').value;
    const date = $('date').value;
    const cutoff = ($('cutoff').value || '19:30').slice(0, 5);
    const tz = $('tz').value.trim() || 'Europe/Kyiv';
    const end = kind === 'spot' || !date ? null : zonedInstant(date, cutoff, tz);
    if (end === null || Date.now() >= end) {
      notice.hidden = true;
      return;
    }
    const left = Math.ceil((end - Date.now()) / 60000);
    const what = kind === 'status' ? `The status report's last period (${date})` : `The period of the daily report of ${date}`;
    notice.textContent = `Incomplete period: ${what} ends at ${cutoff} ${tz} on ${date}, in ` +
      `${Math.floor(left / 60)} h ${left % 60} min: until then its counts are not final.`;
    notice.hidden = false;
  }

  const session = window.truceSession;

  function showFields() {
    const kind = $('kind').value;
    for (const label of form.querySelectorAll('label[data-for]')) {
      label.hidden = !label.dataset.for.split(' ').includes(kind);
    }
    $('date').required = kind !== 'spot';
    $('incident').required = kind === 'spot';
  }

  // The report's URL for a format, or null with a message when the form is incomplete.
  function url(format) {
    const kind = $('kind').value;
    const p = new URLSearchParams();
    let path;
    if (kind === 'spot') {
      const id = $('incident').value.trim();
      if (!id) return null;
      path = `api/v1/reports/spot/${encodeURIComponent(id)}`;
    } else if (kind === 'status') {
      if (!$('date').value) return null;
      if (!$('from').value) $('from').value = addDays($('date').value, -13);
      p.set('from', $('from').value);
      p.set('to', $('date').value);
      path = 'api/v1/reports/status';
    } else {
      if (!$('date').value) return null;
      p.set('date', $('date').value);
      path = 'api/v1/reports/daily';
    }
    if ($('cutoff').value) p.set('cutoff', $('cutoff').value.slice(0, 5));
    if ($('tz').value.trim()) p.set('tz', $('tz').value.trim());
    p.set('edition', $('edition').value);
    p.set('format', format);
    return `${path}?${p}`;
  }

  function setLinks(enabled) {
    const base = $('kind').value === 'spot' ? `spot-${$('incident').value.trim()}` : `${$('kind').value}-${$('date').value}`;
    const name = `truce-${base}-${$('edition').value}`;
    for (const [id, fmt, ext] of [['download-html', 'html', 'html'], ['download-md', 'md', 'md'], ['download-json', 'json', 'json']]) {
      const a = $(id);
      const href = enabled ? url(fmt) : null;
      a.href = href || '#';
      a.download = `${name}.${ext}`;
      a.setAttribute('aria-disabled', href ? 'false' : 'true');
    }
    $('print').disabled = !enabled;
  }

  // Both banners say a report's `classification` and the rest of its `banner` (release, categories).
  function showBanner(own, full) {
    session.banner(own, full && full.startsWith(own) ? full.slice(own.length) : '');
  }

  // The report's JSON: its own `classification` and `banner` (or `marking`), else the highest marking
  // of its items.
  async function bannerOfJson() {
    try {
      const response = await session.fetch(url('json'));
      if (!response.ok) return showBanner('NATO UNCLASSIFIED');
      const report = await response.json();
      const own = report?.classification || report?.marking;
      if (own && session.rank(own) >= 0) return showBanner(own, report?.banner);
      return showBanner(session.highest(session.markingsIn(report)));
    } catch (_) {
      return showBanner('NATO UNCLASSIFIED');
    }
  }

  // A download: the link's URL fetched with the token (a plain link would go without it), saved as a file.
  async function download(event) {
    const a = event.currentTarget;
    event.preventDefault();
    if (a.getAttribute('aria-disabled') !== 'false') return;
    error.hidden = true;
    try {
      const response = await session.fetch(a.href);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const blobUrl = URL.createObjectURL(await response.blob());
      const save = document.createElement('a');
      save.href = blobUrl;
      save.download = a.download;
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(blobUrl), 60000);
    } catch (e) {
      error.textContent = `The download failed: ${e.message}`;
      error.hidden = false;
    }
  }

  // Loads the report the form names; `body[data-ready]` is then `true` (shown) or `error` (refused or
  // failed), for tests and for anything waiting on the page.
  async function load(event) {
    if (event) event.preventDefault();
    document.body.dataset.ready = await show() ? 'true' : 'error';
  }

  async function show() {
    const kind = $('kind').value;
    const refused = kind === 'spot' ? null : futureDate('date') || (kind === 'status' && futureDate('from'));
    if (refused) {
      showError(refused);
      return false;
    }
    const target = url('html');
    if (!target) {
      showError(kind === 'spot' ? 'Incident: an incident id (inc-…) is required.' : 'Date: a date is required.');
      return false;
    }
    error.hidden = true;
    $('load').disabled = true;
    try {
      const response = await session.fetch(target);
      const text = await response.text();
      if (!response.ok) {
        let message = `${response.status} ${response.statusText}`;
        try {
          const body = JSON.parse(text);
          message = `${body.error.field ? body.error.field + ': ' : ''}${body.error.message}`;
        } catch (_) { /* not the API's error shape */ }
        error.textContent = message;
        error.hidden = false;
        setLinks(false);
        return false;
      }
      const doc = new DOMParser().parseFromString(text, 'text/html');
      const own = doc.querySelector('meta[name="classification"]')?.content;
      if (own && session.rank(own) >= 0) showBanner(own, doc.querySelector('meta[name="banner"]')?.content);
      else await bannerOfJson();
      frame.srcdoc = text;
      shown.date = $('date').value;
      shown.from = $('from').value;
      setLinks(true);
      showIncomplete();
      return true;
    } catch (e) {
      error.textContent = `The report could not be loaded: ${e.message}`;
      error.hidden = false;
      return false;
    } finally {
      $('load').disabled = false;
    }
  }

  const params = new URLSearchParams(location.search);
  // Today is allowed (its report says it is incomplete), tomorrow is not.
  $('date').max = today();
  $('from').max = today();
  $('date').value = params.get('date') || addDays(today(), -1);
  if (params.get('incident')) {
    $('kind').value = 'spot';
    $('incident').value = params.get('incident');
  }
  if (params.get('edition')) $('edition').value = params.get('edition');
  $('kind').addEventListener('change', () => { showFields(); setLinks(false); });
  for (const id of ['incident', 'cutoff', 'tz', 'edition']) {
    $(id).addEventListener('change', () => setLinks(false));
  }
  // A future date is refused as soon as it is entered: the field goes back to the report shown.
  for (const id of ['date', 'from']) {
    $(id).addEventListener('change', () => {
      const refused = futureDate(id);
      if (refused) {
        showError(refused);
        $(id).value = shown[id] ?? '';
        return;
      }
      error.hidden = true;
      setLinks(false);
    });
  }
  $('print').addEventListener('click', () => frame.contentWindow && frame.contentWindow.print());
  for (const id of ['download-html', 'download-md', 'download-json']) $(id).addEventListener('click', download);
  form.addEventListener('submit', load);
  showFields();
  setLinks(false);
  session.banner('NATO UNCLASSIFIED');
  // Nothing is asked of the server before someone has logged in (GET api/v1/me, else the login form).
  // Then the report asked for in the address, else the last complete period's.
  session.require().then(() => load(), (e) => {
    error.textContent = `The session could not be checked: ${e.message}`;
    error.hidden = false;
    document.body.dataset.ready = 'error';
  });
})();
