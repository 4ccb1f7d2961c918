// truce compliance cases: the list of cases the user may see and one case's screen, which moves it
// through its stages (evidence → attribution → remedy → closed) with the server's rules: attribution
// names the responsible party, a remedy states what is demanded, closing states why, and the Special
// Commission's moves (attribution, remedy, closing) need its role; a refused move shows the server's
// reason and changes nothing. The case's incidents link to the live map, filtered to their area.
// Plain ES module; `truceSession` (session.js) gives the login, the token and the banners.

/* global truceSession */

const API = new URL('api/v1/', document.baseURI);
const STAGES = ['evidence', 'attribution', 'remedy', 'closed'];
const STAGE_WORDS = {
  evidence: 'Evidence: collecting and checking',
  attribution: 'Attribution: the responsible party established',
  remedy: 'Remedy: demanded and followed up',
  closed: 'Closed',
};
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

const $ = (id) => document.getElementById(id);
const pad2 = (n) => String(n).padStart(2, '0');
function dtg(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return `${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}Z ${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCFullYear() % 100)}`;
}

/** Builds an element; strings become text, never HTML. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

async function api(path, init) {
  const res = await truceSession.fetch(new URL(path, API), init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(body?.error?.message || body?.message || `HTTP ${res.status}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

const state = { cases: [], selected: null, parties: [] };

async function loadList() {
  const r = await api('cases');
  state.cases = r.cases || [];
  $('case-count').textContent = `(${state.cases.length})`;
  $('case-list').replaceChildren(...(state.cases.length ? [...state.cases].reverse().map((c) => h('li', {
    'data-case': c.id, 'data-stage': c.stage, class: c.id === state.selected ? 'selected' : '',
  }, h('a', { href: `#${encodeURIComponent(c.id)}` }, h('b', null, c.title)),
  h('div', { class: 'muted small' }, `${c.id} · ${c.stage} · opened ${dtg(c.opened_at)} · ${(c.incidents || []).length} incident(s)`)))
    : [h('li', { class: 'muted' }, 'No case yet.')]));
}

/** The moves a case at `stage` may make: the next stage, or closing. */
function moves(stage) {
  const i = STAGES.indexOf(stage);
  if (i < 0 || stage === 'closed') return [];
  return [...new Set([STAGES[i + 1], 'closed'])];
}

function renderCase(c) {
  const view = $('case-view');
  const error = h('p', { class: 'case-error', role: 'alert', 'data-testid': 'case-error' });
  const to = h('select', { 'data-testid': 'case-to', 'aria-label': 'Move to' },
    h('option', { value: '' }, 'Add a note only'),
    ...moves(c.stage).map((s) => h('option', { value: s }, `Move to ${s}`)));
  const party = h('select', { 'data-testid': 'case-party', 'aria-label': 'Responsible party' },
    h('option', { value: '' }, '— party —'), ...state.parties.map((p) => h('option', { value: p.id }, p.name)));
  const note = h('textarea', { rows: 3, maxlength: 10000, 'data-testid': 'case-action-note', placeholder: 'Note: the evidence, the remedy demanded, the reason for closing…' });
  const partyRow = h('label', { class: 'party-row', hidden: true }, 'Responsible party ', party);
  to.addEventListener('change', () => { partyRow.hidden = to.value !== 'attribution'; });
  const submit = async (e) => {
    e.preventDefault();
    error.textContent = '';
    const body = { expected_stage: c.stage };
    if (to.value) body.to = to.value;
    if (to.value === 'attribution' && party.value) body.party = party.value;
    if (note.value.trim()) body.note = note.value.trim();
    try {
      const next = await api(`cases/${encodeURIComponent(c.id)}/actions`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      renderCase(next);
      await loadList();
    } catch (err) {
      error.textContent = `Refused: ${err.message}`;
    }
  };
  const mapLink = (c.incidents || []).length ? h('a', { href: `./?incidents=${encodeURIComponent(c.incidents.join(','))}`, 'data-testid': 'case-map-link' }, 'Show on the map') : null;
  view.replaceChildren(
    h('h2', { 'data-testid': 'case-title' }, c.title),
    h('div', { class: 'muted small' }, `${c.id} · opened ${dtg(c.opened_at)}`),
    h('ol', { class: 'stages', 'data-testid': 'case-stages' }, STAGES.map((s) => h('li', {
      'data-stage': s, class: s === c.stage ? 'current' : STAGES.indexOf(s) < STAGES.indexOf(c.stage) ? 'done' : '',
    }, STAGE_WORDS[s]))),
    h('p', { 'data-testid': 'case-stage', 'data-stage': c.stage }, h('b', null, 'Stage: '), c.stage,
      c.party ? ` · responsible party: ${c.party}` : '', c.remedy ? ` · remedy: ${c.remedy}` : ''),
    h('h3', null, 'Incidents'),
    h('p', null, (c.incidents || []).join(', ') || '—', ' ', mapLink),
    h('h3', null, 'Observations'),
    h('p', null, (c.observations || []).join(', ') || '—'),
    h('h3', null, 'History'),
    h('ol', { class: 'history', 'data-testid': 'case-history' }, (c.actions || []).map((a) => h('li', null,
      h('b', null, `${dtg(a.at)} ${a.by}: ${a.action}`), a.action === 'move' || a.action === 'open' ? ` → ${a.stage}` : '',
      a.party ? ` (party: ${a.party})` : '', a.note ? h('div', null, a.note) : null))),
    c.stage === 'closed' ? h('p', { class: 'muted' }, 'The case is closed.') : h('form', { class: 'case-action', 'data-testid': 'case-action', onsubmit: submit },
      h('h3', null, 'Act on the case'), to, partyRow, note, h('button', { type: 'submit', 'data-testid': 'case-submit' }, 'Record'), error),
  );
  view.dataset.case = c.id;
}

async function show(id) {
  state.selected = id;
  for (const li of document.querySelectorAll('#case-list li')) li.classList.toggle('selected', li.dataset.case === id);
  if (!id) return;
  try {
    renderCase(await api(`cases/${encodeURIComponent(id)}`));
  } catch (e) {
    $('case-view').replaceChildren(h('p', { class: 'case-error', role: 'alert' }, `Case ${id}: ${e.message}`));
  }
}

const ready = truceSession.require().then(async () => {
  const agreement = await api('agreement').catch(() => ({}));
  state.parties = agreement.parties || [];
  await loadList();
  await show(decodeURIComponent(location.hash.slice(1)) || null);
  window.addEventListener('hashchange', () => show(decodeURIComponent(location.hash.slice(1)) || null));
  document.body.dataset.ready = 'true';
}).catch((e) => {
  document.body.dataset.ready = 'error';
  $('case-view').replaceChildren(h('p', { class: 'case-error', role: 'alert' }, `The cases could not load: ${e.message}`));
});

window.truceCases = { ready };
