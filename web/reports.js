// The reports page: builds the report's URL from the form, loads the HTML report into a sandboxed
// iframe (no script runs in it), offers the same report as HTML, Markdown and JSON downloads, and
// shows the loaded report's classification in the page's own banners: the report's own banner (the
// HTML's `classification` and `banner`, the JSON's `classification` and `banner`: the label of what
// the report contains), else the highest `marking` of its items.
// Every request carries the session token (session.js); the downloads are fetched with it and handed
// to the browser as files. No framework, no build step.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const form = $('form');
  const frame = $('report');
  const error = $('error');
  function isoDate(d) {
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
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
      if (!$('from').value) {
        const to = new Date(`${$('date').value}T12:00:00`);
        to.setDate(to.getDate() - 13);
        $('from').value = isoDate(to);
      }
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

  async function load(event) {
    if (event) event.preventDefault();
    const target = url('html');
    if (!target) return;
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
        return;
      }
      const doc = new DOMParser().parseFromString(text, 'text/html');
      const own = doc.querySelector('meta[name="classification"]')?.content;
      if (own && session.rank(own) >= 0) showBanner(own, doc.querySelector('meta[name="banner"]')?.content);
      else await bannerOfJson();
      frame.srcdoc = text;
      setLinks(true);
    } catch (e) {
      error.textContent = `The report could not be loaded: ${e.message}`;
      error.hidden = false;
    } finally {
      $('load').disabled = false;
    }
  }

  const params = new URLSearchParams(location.search);
  $('date').value = params.get('date') || isoDate(new Date());
  if (params.get('incident')) {
    $('kind').value = 'spot';
    $('incident').value = params.get('incident');
  }
  if (params.get('edition')) $('edition').value = params.get('edition');
  $('kind').addEventListener('change', () => { showFields(); setLinks(false); });
  for (const id of ['date', 'from', 'incident', 'cutoff', 'tz', 'edition']) {
    $(id).addEventListener('change', () => setLinks(false));
  }
  $('print').addEventListener('click', () => frame.contentWindow && frame.contentWindow.print());
  for (const id of ['download-html', 'download-md', 'download-json']) $(id).addEventListener('click', download);
  form.addEventListener('submit', load);
  showFields();
  setLinks(false);
  session.banner('NATO UNCLASSIFIED');
  // Nothing is asked of the server before someone has logged in (GET api/v1/me, else the login form).
  session.require().then(() => {
    if (params.get('date') || params.get('incident')) load();
  }, (e) => {
    error.textContent = `The session could not be checked: ${e.message}`;
    error.hidden = false;
  });
})();
