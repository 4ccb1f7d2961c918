// The reports page: builds the report's URL from the form, loads the HTML report into a sandboxed
// iframe (no script runs in it), offers the same report as HTML, Markdown and JSON downloads, and
// shows the loaded report's classification in the page's own banners. No framework, no build step.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const form = $('form');
  const frame = $('report');
  const error = $('error');
  const colours = {
    'NATO UNCLASSIFIED': '#007a33',
    'NATO RESTRICTED': '#0b5394',
    'NATO CONFIDENTIAL': '#0b5394',
    'NATO SECRET': '#c8102e',
    'COSMIC TOP SECRET': '#ff8c00',
  };

  function isoDate(d) {
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }

  function setBanner(marking) {
    for (const id of ['banner-top', 'banner-bottom']) {
      $(id).textContent = marking;
      $(id).style.background = colours[marking] || '#ff8c00';
    }
  }

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

  async function load(event) {
    if (event) event.preventDefault();
    const target = url('html');
    if (!target) return;
    error.hidden = true;
    $('load').disabled = true;
    try {
      const response = await fetch(target);
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
      const marking = doc.querySelector('meta[name="classification"]');
      setBanner(marking ? marking.content : 'NATO UNCLASSIFIED');
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
  form.addEventListener('submit', load);
  showFields();
  setLinks(false);
  if (params.get('date') || params.get('incident')) load();
})();
