// truce coalition page. Plain ES module, no build step: served as is by the truce binary.
// Leaflet (global `L`) and milsymbol (global `ms`) are loaded as classic scripts before this module.
// API used (relative to the page): api/v1/basemap, api/v1/agreement/geometry, api/v1/coalition/summary,
// api/v1/coalition/gaps, api/v1/regeneration, api/v1/plans, api/v1/plans/{id}, api/v1/plans/{id}/check.
// Every text from the API is inserted as text (textContent), never as HTML.

/* global L, ms, truceSession */

import { LabelSet } from './basemap.js';

const API = document.querySelector('meta[name="truce-api"]')?.content || 'api/v1/';
const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c != null) el.append(c);
  return el;
}

const fmt = (x) => (x == null ? '–' : Number(x).toLocaleString('en-GB', { maximumFractionDigits: 1 }));
const human = (s) => String(s ?? '').replaceAll('_', ' ');
function dated(date, how) {
  const d = new Date(`${date}T00:00:00Z`);
  const s = d.toLocaleDateString('en-GB', { day: '2-digit', month: 'short', year: 'numeric', timeZone: 'UTC' });
  return how === 'by' ? `by ${s}` : s;
}

// The markings of what is on screen, by the request it came from (a plan's id and a query left out, so
// that choosing another plan replaces the last one's): the banners show the highest, NATO UNCLASSIFIED
// when nothing carries a marking. The basemap and the agreement's geometry carry none.
const onScreen = new Map();
function renderBanner() {
  truceSession.banner(truceSession.highest([...onScreen.values()].flat()));
}

async function getJson(path) {
  const url = new URL(path, new URL(API, document.baseURI));
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 20000);
  let res;
  try {
    res = await truceSession.fetch(url, { signal: ctl.signal, headers: { accept: 'application/json' } });
  } catch (e) {
    throw new Error(`GET ${url.pathname}: ${e.name === 'AbortError' ? 'timed out' : e.message}`);
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok) {
    const body = (await res.text().catch(() => '')).slice(0, 300);
    throw new Error(`GET ${url.pathname}${url.search}: HTTP ${res.status}${body ? ` — ${body}` : ''}`);
  }
  const json = await res.json();
  if (!['basemap', 'agreement/geometry'].includes(path)) {
    onScreen.set(path.replace(/\?.*$/, '').replace(/^plans\/[^/]+/, 'plans/*'), truceSession.markingsIn(json));
    renderBanner();
  }
  return json;
}

function showError(e) {
  const el = $('error');
  el.textContent = String(e?.message || e);
  el.hidden = false;
}

const STATUSES = ['deployed', 'approved', 'committed', 'conditional', 'undecided', 'withdrawn', 'declined'];
function statusChip(status, title) {
  return h('span', { class: `st st-${status}`, title, 'data-status': status }, status);
}

// ---------------------------------------------------------------- map

if (typeof L === 'undefined' || typeof ms === 'undefined') {
  const msg = 'The page libraries did not load (vendor/leaflet, vendor/milsymbol): if the server runs with --web-dir, run `npm ci` in that folder, then reload.';
  showError(msg);
  document.body.dataset.ready = 'error';
  document.body.dataset.error = msg;
  throw new Error(msg);
}

const map = L.map('map', { zoomSnap: 0.25, minZoom: 3, maxZoom: 14 });
map.attributionControl.addAttribution(
  '© <a href="https://www.openstreetmap.org/copyright" target="_blank" rel="noopener">OpenStreetMap</a> contributors',
);
L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
map.setView([48.5, 30], 5);
map.createPane('basemap').style.zIndex = 200;
map.createPane('zones').style.zIndex = 350;
map.createPane('lines').style.zIndex = 420;
map.createPane('areas').style.zIndex = 430;
const planLayer = L.layerGroup().addTo(map);
map.createPane('unitLabels').style.zIndex = 640; // above the symbols (markerPane, 600)
map.getPane('unitLabels').style.pointerEvents = 'none';
const unitLabels = new LabelSet(map, { pane: 'unitLabels', testid: 'unit-label', max: 200 });

async function loadBasemap() {
  const fc = await getJson('basemap');
  for (const f of fc.features || []) {
    const isUkr = (f.properties?.a3 || '').toUpperCase() === 'UKR';
    L.geoJSON(f, {
      pane: 'basemap',
      interactive: false,
      style: { color: isUkr ? '#495057' : '#adb5bd', weight: isUkr ? 1.4 : 0.7, fillColor: isUkr ? '#fffdf5' : '#ece9e0', fillOpacity: 1 },
    }).addTo(map);
  }
}

const ZONE_STYLE = {
  force_standoff: { color: '#5f3dc4', weight: 1.2, dashArray: '6 5', fillColor: '#5f3dc4', fillOpacity: 0.06 },
  no_fly: { color: '#1971c2', weight: 1.2, dashArray: '2 6', fillColor: '#1971c2', fillOpacity: 0.05 },
  maritime_exclusion: { color: '#0b7285', weight: 1.2, fillColor: '#15aabf', fillOpacity: 0.2 },
};

async function loadGeometry() {
  const fc = await getJson('agreement/geometry');
  for (const f of fc.features || []) {
    const p = f.properties || {};
    if (p.layer === 'zone' && ZONE_STYLE[p.kind]) {
      L.geoJSON(f, { pane: 'zones', style: ZONE_STYLE[p.kind] })
        .bindTooltip(`${p.name || p.id} (${human(p.kind)})`, { sticky: true }).addTo(map);
    } else if (p.layer === 'line') {
      const primary = p.id === 'loc';
      L.geoJSON(f, { pane: 'lines', style: { color: primary ? '#c92a2a' : '#e8590c', weight: primary ? 2.5 : 1.2, dashArray: primary ? null : '4 4' } })
        .bindTooltip(p.name || p.id, { sticky: true }).addTo(map);
    }
  }
}

// ---------------------------------------------------------------- nations, gaps, regeneration

const page = { nations: 0, gapRows: 0, targets: 0, markers: new Map(), findings: [], deployments: 0, plan: null, nationNames: new Map() };

async function loadSummary() {
  const s = await getJson('coalition/summary');
  const head = $('nations-head');
  for (const d of s.domains) head.append(h('th', { text: human(d) }));
  const body = $('nations').tBodies[0];
  body.replaceChildren();
  for (const n of s.nations) {
    page.nationNames.set(n.nation, n.name);
    const row = h('tr', { 'data-nation': n.nation }, h('td', { title: n.name }, h('strong', { text: n.nation }), ` ${n.name}`));
    for (const c of n.cells) {
      const td = h('td', { 'data-domain': c.domain });
      if (c.status) {
        const lines = c.pledges.map((p) => {
          const q = p.quantity != null ? ` — ${fmt(p.quantity)} ${human(p.measure)}` : '';
          const cond = p.conditions.length ? `\nconditions: ${p.conditions.map(human).join(', ')}` : '';
          const where = p.locations.length ? `\nwhere: ${p.locations.map(human).join(', ')}` : '';
          const relay = p.relay ? ' [relay: a lead, not settled fact]' : '';
          return `${p.capability}${q}: ${p.status}${relay}${cond}${where}\n“${p.quote}”\n${p.source}, ${dated(p.date, p.dated)}`;
        });
        td.append(statusChip(c.status, lines.join('\n\n')));
        if (c.pledges.length > 1) td.append(h('span', { class: 'muted small', text: ` +${c.pledges.length - 1}` }));
      }
      row.append(td);
    }
    body.append(row);
  }
  page.nations = s.nations.length;
  const totals = $('totals').tBodies[0];
  totals.replaceChildren();
  for (const t of s.totals) {
    if (!t.pledges && !t.nations) continue;
    const q = Object.entries(t.quantities).map(([m, v]) => `${fmt(v)} ${human(m)}`).join(', ');
    totals.append(h('tr', { 'data-status': t.status }, h('td', null, statusChip(t.status)), h('td', { class: 'num', text: t.pledges }),
      h('td', { class: 'num', text: t.nations }), h('td', { text: q || '–' })));
  }
  const ms_ = $('milestones');
  ms_.replaceChildren();
  for (const m of s.milestones) {
    ms_.append(h('dt', { text: dated(m.date, m.dated) }), h('dd', { title: `“${m.quote}”` }, m.title, h('span', { class: 'muted small', text: ` — ${m.source}` })));
  }
  $('status-legend').replaceChildren(...STATUSES.map((st) => statusChip(st)));
}

async function loadGaps() {
  const assume = $('assume').checked;
  const g = await getJson(`coalition/gaps${assume ? '?assume=conditional' : ''}`);
  for (const el of document.querySelectorAll('.assumed-col')) el.hidden = !assume;
  const body = $('gaps').tBodies[0];
  body.replaceChildren();
  for (const r of g.rows) {
    const who = r.contributions.map((c) => `${c.firm ? '+' : '?'} ${c.nation} ${c.pledge} ${fmt(c.quantity)} (${c.status})`)
      .concat(r.unquantified.map((u) => `~ ${u.nation} ${u.pledge} (${u.status}): no number given`));
    const title = `${r.capability} (${r.component}, phase ${r.phase})${r.illustrative ? ' [illustrative]' : ''}\n${who.join('\n') || 'no matching pledge'}`;
    const cells = [
      h('td', { title }, h('strong', { text: r.requirement }), h('div', { class: 'muted small', text: `${r.capability} — ${human(r.measure)}` })),
      h('td', { class: 'num', text: fmt(r.required) }),
      h('td', { class: 'num', text: fmt(r.firm) }),
      h('td', { class: `num ${r.shortfall > 0 ? 'short' : 'met'}`, 'data-testid': 'shortfall', text: r.shortfall > 0 ? fmt(r.shortfall) : 'met' }),
    ];
    if (assume) {
      const delta = r.assumed - r.firm;
      cells.push(h('td', { class: 'num', text: `${fmt(r.assumed)}${delta > 0 ? ` (+${fmt(delta)})` : ''}` }));
      cells.push(h('td', { class: `num ${r.assumed_shortfall > 0 ? 'short' : 'met'}`, 'data-testid': 'assumed-shortfall', text: r.assumed_shortfall > 0 ? fmt(r.assumed_shortfall) : 'met' }));
    }
    body.append(h('tr', { 'data-requirement': r.requirement }, ...cells));
  }
  page.gapRows = g.rows.length;
  document.body.dataset.assume = assume ? 'conditional' : '';
}

async function loadRegeneration() {
  const r = await getJson('regeneration');
  const body = $('regeneration').tBodies[0];
  body.replaceChildren();
  for (const t of r.targets) {
    const tg = t.target;
    const p = t.projection;
    const proj = {
      reached: () => `reached ${dated(p.on, 'on')}`,
      projected: () => `${dated(p.on, 'on')}${p.on_schedule === false ? ' (behind schedule)' : p.on_schedule ? ' (on schedule)' : ''}`,
      not_at_this_trend: () => 'not at this trend',
      too_few_points: () => 'too few measurements',
      no_target: () => 'no target number',
    }[p.kind]?.() ?? p.kind;
    const latest = t.latest ? `${t.latest.approx ? '~' : ''}${fmt(t.latest.value)}` : '–';
    body.append(h('tr', { 'data-target': tg.id },
      h('td', { title: `${tg.source}${tg.illustrative ? ' [illustrative]' : ''}` }, tg.name, tg.illustrative ? h('span', { class: 'muted small', text: ' (illustrative)' }) : null),
      h('td', { class: 'num', text: latest }),
      h('td', { class: 'num', text: tg.target != null ? fmt(tg.target) : '–' }),
      h('td', { text: proj })));
  }
  page.targets = r.targets.length;
}


// ---------------------------------------------------------------- symbol codes in words

// MIL-STD-2525D / APP-6 D: the 20-digit symbol identification code, read the way a watch officer says it.
const SIDC_IDENTITY = { 0: 'pending', 1: 'unknown', 2: 'assumed friend', 3: 'friendly', 4: 'neutral', 5: 'suspect', 6: 'hostile' };
const SIDC_CONTEXT = { 0: '', 1: 'exercise', 2: 'simulation' };
const SIDC_SET = {
  '01': 'air', '02': 'air missile', '05': 'space', 10: 'land unit', 11: 'land civilian unit', 15: 'land equipment',
  20: 'land installation', 25: 'control measure', 27: 'dismounted individual', 30: 'sea surface', 35: 'sea subsurface',
  36: 'mine warfare', 40: 'activity', 50: 'signals intelligence (space)', 51: 'signals intelligence (air)',
  52: 'signals intelligence (land)', 53: 'signals intelligence (sea surface)', 54: 'signals intelligence (subsurface)',
};
const SIDC_STATUS = { 0: 'present', 1: 'planned', 2: 'present, fully capable', 3: 'present, damaged', 4: 'present, destroyed', 5: 'present, full to capacity' };
const SIDC_HQ = { 1: 'feint or dummy', 2: 'headquarters', 3: 'feint or dummy headquarters', 4: 'task force', 5: 'feint or dummy task force', 6: 'task force headquarters', 7: 'feint or dummy task force headquarters' };
const SIDC_ECHELON = {
  11: 'team or crew', 12: 'squad', 13: 'section', 14: 'platoon or detachment', 15: 'company, battery or troop',
  16: 'battalion or squadron', 17: 'regiment or group', 18: 'brigade', 21: 'division', 22: 'corps',
  23: 'army', 24: 'army group or front', 25: 'region or theatre', 26: 'command',
};
// Main icons: symbol set → entity (6 digits) → words; a code not listed falls back to its entity (first 2 digits).
const SIDC_ENTITY = {
  10: {
    110000: 'command and control', 120000: 'movement and manoeuvre', 120100: 'air assault', 120400: 'anti-tank',
    120500: 'armour', 120600: 'army aviation', 121000: 'combined arms', 121100: 'infantry', 121200: 'observer',
    121300: 'reconnaissance', 121700: 'special forces', 121800: 'special operations forces', 121900: 'unmanned aircraft',
    130000: 'fires', 130100: 'air defence', 130300: 'field artillery', 130800: 'mortar', 140000: 'protection',
    140100: 'CBRN defence', 140700: 'engineer', 140800: 'explosive ordnance disposal', 141200: 'military police',
    141400: 'mine clearing', 141700: 'security', 150000: 'intelligence', 150500: 'electronic warfare',
    160000: 'sustainment', 161100: 'maintenance', 161300: 'medical', 161400: 'medical treatment facility',
    161700: 'multiple classes of supply', 163400: 'supply', 163600: 'transportation', 110100: 'broadcast transmitter',
    111000: 'signal',
  },
  '01': { 110000: 'military aircraft', 110100: 'fixed-wing aircraft', 110101: 'medical evacuation aircraft',
    110102: 'attack aircraft', 110103: 'bomber', 110104: 'fighter', 110105: 'fighter-bomber', 110107: 'cargo aircraft',
    110111: 'reconnaissance aircraft', 110112: 'tanker', 110113: 'airborne early warning aircraft', 110200: 'rotary-wing aircraft',
    110300: 'unmanned aircraft' },
  30: { 120000: 'combatant vessel', 120100: 'aircraft carrier', 120200: 'surface combatant', 120201: 'battleship',
    120202: 'cruiser', 120203: 'destroyer', 120204: 'frigate', 120205: 'corvette', 120300: 'amphibious ship',
    120400: 'mine warfare vessel', 120401: 'minelayer', 120402: 'minesweeper', 120404: 'minehunter',
    120405: 'mine countermeasures vessel', 120500: 'patrol boat', 130000: 'auxiliary ship', 140000: 'civilian vessel' },
};
const SIDC_ENTITY_GROUP = { 11: 'command and control', 12: 'manoeuvre', 13: 'fires', 14: 'protection', 15: 'intelligence', 16: 'sustainment' };

/**
 * A SIDC in words: `{ kind, echelon, hq, identity, status, context, words }` (fields null when the code does
 * not say), or null for a code this page cannot read. 2525C (15 characters) gives identity, status and
 * echelon only.
 */
function describeSidc(sidc) {
  const code = String(sidc || '');
  if (/^\d{20}$/.test(code)) {
    const set = code.slice(4, 6);
    const setKey = SIDC_SET[set] ? set : Number(set);
    const entity = Number(code.slice(10, 16));
    const table = SIDC_ENTITY[setKey] || SIDC_ENTITY[Number(set)] || {};
    const kind = table[entity] ?? table[Math.floor(entity / 100) * 100]
      ?? (Number(set) === 10 ? SIDC_ENTITY_GROUP[Math.floor(entity / 10000)] : null) ?? SIDC_SET[setKey] ?? null;
    const d = {
      kind,
      dimension: SIDC_SET[setKey] ?? null,
      echelon: Number(set) === 10 ? SIDC_ECHELON[Number(code.slice(8, 10))] ?? null : null,
      hq: SIDC_HQ[Number(code[7])] ?? null,
      identity: SIDC_IDENTITY[Number(code[3])] ?? null,
      status: SIDC_STATUS[Number(code[6])] ?? null,
      context: SIDC_CONTEXT[Number(code[2])] || null,
    };
    return { ...d, words: sidcWords(d) };
  }
  if (/^[A-Z0-9*-]{15}$/.test(code)) {
    const identity = { P: 'pending', U: 'unknown', A: 'assumed friend', F: 'friendly', N: 'neutral', S: 'suspect', H: 'hostile' }[code[1]] ?? null;
    const status = { A: 'planned', P: 'present' }[code[3]] ?? null;
    const echelon = { A: 'team or crew', B: 'squad', C: 'section', D: 'platoon or detachment', E: 'company, battery or troop', F: 'battalion or squadron', G: 'regiment or group', H: 'brigade', I: 'division', J: 'corps', K: 'army' }[code[11]] ?? null;
    const d = { kind: null, dimension: null, echelon, hq: null, identity, status, context: null };
    return { ...d, words: sidcWords(d) };
  }
  return null;
}

function sidcWords(d) {
  const what = [d.kind, d.echelon].filter(Boolean).join(' ');
  const hq = d.hq ? `${d.hq}${what ? ', ' : ''}` : '';
  const main = `${hq}${what}` || d.dimension || 'symbol';
  const how = [d.identity, d.status, d.context].filter(Boolean).join(', ');
  return how ? `${main[0].toUpperCase()}${main.slice(1)} (${how})` : `${main[0].toUpperCase()}${main.slice(1)}`;
}

const PLEDGE_STATUS_WORDS = {
  deployed: 'deployed', approved: 'approved by its government', committed: 'committed', conditional: 'conditional',
  undecided: 'not yet decided', withdrawn: 'withdrawn', declined: 'declined',
};

// ---------------------------------------------------------------- the plan

function unitIcon(props, cls) {
  // No text in the symbol: the unit's name is a label beside it, decluttered with the others (unitLabels).
  const sym = new ms.Symbol(props.sidc || '10031000000000000000', { size: 22, fill: true });
  const size = sym.getSize();
  const anchor = sym.getAnchor();
  return {
    valid: sym.isValid(),
    box: { left: -anchor.x, top: -anchor.y, right: size.width - anchor.x, bottom: size.height - anchor.y },
    icon: L.divIcon({
      className: `unit-icon ${cls}`,
      html: sym.asSVG(),
      iconSize: [size.width, size.height],
      iconAnchor: [anchor.x, anchor.y],
    }),
  };
}

async function loadPlan(id) {
  planLayer.clearLayers();
  page.markers.clear();
  const [fc, check] = await Promise.all([getJson(`plans/${encodeURIComponent(id)}`), getJson(`plans/${encodeURIComponent(id)}/check`)]);
  page.plan = id;
  page.findings = check.findings;
  const worst = new Map(); // deployment index -> 'error' | 'warning'
  for (const f of check.findings) {
    if (f.deployment == null) continue;
    if (f.severity === 'error' || !worst.has(f.deployment)) worst.set(f.deployment, f.severity);
  }
  let invalid = 0;
  const bounds = [];
  const labelItems = [];
  for (const f of fc.features) {
    const p = f.properties;
    if (p.layer === 'area') {
      L.geoJSON(f, { pane: 'areas', style: { color: p.domain === 'air' ? '#1864ab' : '#0b7285', weight: 1.5, dashArray: '5 4', fillOpacity: 0.08 } })
        .bindTooltip(`${p.unit}: patrol area`, { sticky: true }).addTo(planLayer);
      continue;
    }
    const sev = worst.get(p.index);
    const { icon, valid, box } = unitIcon(p, sev ? `has-${sev}` : '');
    if (!valid) invalid += 1;
    const [lon, lat] = f.geometry.coordinates;
    const marker = L.marker([lat, lon], { icon, title: `${p.unit} (${p.nation})`, riseOnHover: true });
    labelItems.push({ latlng: L.latLng(lat, lon), text: p.unit, box, offset: Math.max(box.right, -box.left) + 6, className: 'unit-label', data: { index: p.index } });
    marker.bindPopup(() => {
      // Built when opened: the nations' names come with the summary, loaded beside the plan.
      const symbol = describeSidc(p.sidc);
      const nation = page.nationNames.get(p.nation);
      const lines = [
        p.name,
        symbol ? symbol.words : `${p.type ?? 'unit'}`,
        `${nation ? `${nation} (${p.nation})` : p.nation}, ${p.domain}: ${p.type}, ${fmt(p.strength)} personnel`,
        `${p.place_name ? `at ${p.place_name}, ` : ''}from ${p.from} ${p.until ? `until ${p.until}` : '(open-ended)'}${p.task ? `, task ${p.task}` : ''}`,
        p.pledge ? `Pledge ${p.pledge}: ${PLEDGE_STATUS_WORDS[p.pledge_status] ?? p.pledge_status ?? 'status unknown'}` : 'No pledge named',
      ];
      const el = h('div', { 'data-testid': 'unit-popup' }, h('strong', { text: p.unit }));
      for (const l of lines) el.append(h('div', { class: 'small', text: l }));
      el.append(h('div', { class: 'muted small sidc', 'data-testid': 'sidc', text: `SIDC ${p.sidc}` }));
      for (const f2 of check.findings.filter((x) => x.deployment === p.index)) {
        el.append(h('div', { class: 'small', style: `color:${f2.severity === 'error' ? '#c92a2a' : '#e67700'}`, text: `${f2.rule}: ${f2.message}` }));
      }
      return el;
    });
    marker.addTo(planLayer);
    const el = marker.getElement();
    if (el) {
      el.dataset.testid = 'unit-marker';
      el.dataset.unit = p.unit;
      el.dataset.index = p.index;
      el.dataset.sidc = p.sidc;
      if (sev) el.dataset.severity = sev;
    }
    page.markers.set(p.index, marker);
    bounds.push([lat, lon]);
  }
  page.deployments = page.markers.size;
  // The symbols are obstacles for the labels: a name never covers another unit's symbol.
  unitLabels.obstacles = () => labelItems.map((it) => {
    const pt = map.latLngToContainerPoint(it.latlng);
    return { left: pt.x + it.box.left, top: pt.y + it.box.top, right: pt.x + it.box.right, bottom: pt.y + it.box.bottom };
  });
  unitLabels.setItems(labelItems);
  page.invalidSymbols = invalid;
  // The theatre's deployments frame the view (the HQ in Paris would zoom out to half of Europe).
  page.bounds = bounds.filter(([lat, lon]) => lon > 15 && lon < 45 && lat > 40 && lat < 56);
  fit();

  $('plan-counts').textContent = `${fc.features.filter((f) => f.properties.layer === 'deployment').length} deployments — ${check.errors} errors, ${check.warnings} warnings`;
  $('standoff').textContent = check.standoff.length ? `(stand-off: ${check.standoff.join('; ')})` : '';
  if (fc.properties?.illustrative) $('illustrative').hidden = false;
  const list = $('findings');
  list.replaceChildren();
  for (const n of check.notes) list.append(h('li', { class: 'muted', text: n }));
  if (!check.findings.length) list.append(h('li', { class: 'muted', 'data-testid': 'no-findings', text: 'No findings: the plan keeps every rule.' }));
  // Errors first, then warnings, each in the plan's order.
  const ordered = [...check.findings].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  for (const f of ordered) {
    const li = h('li', { 'data-severity': f.severity, 'data-rule': f.rule, 'data-unit': f.unit, 'data-index': f.deployment ?? '', 'data-testid': 'finding' },
      h('span', { class: 'sev', text: f.severity }), h('code', { text: f.rule }), ' ', f.message);
    li.addEventListener('click', () => {
      for (const x of list.querySelectorAll('li.selected')) x.classList.remove('selected');
      li.classList.add('selected');
      if (f.deployment != null) highlight(f.deployment);
    });
    list.append(li);
  }
}

/** The whole plan in view, no unit highlighted. */
function fit() {
  map.closePopup();
  for (const m of page.markers.values()) m.getElement()?.classList.remove('highlighted');
  if (page.bounds?.length) map.fitBounds(page.bounds, { padding: [20, 20], maxZoom: 8, animate: false });
}

function highlight(index) {
  for (const m of page.markers.values()) m.getElement()?.classList.remove('highlighted');
  const m = page.markers.get(Number(index));
  if (!m) return false;
  map.setView(m.getLatLng(), Math.max(map.getZoom(), 7), { animate: false });
  m.getElement()?.classList.add('highlighted');
  m.openPopup();
  return true;
}

async function loadPlans() {
  const { plans } = await getJson('plans');
  const sel = $('plan');
  sel.replaceChildren(...plans.map((p) => h('option', { value: p.id, text: `${p.id} — ${p.name}` })));
  sel.onchange = () => loadPlan(sel.value).catch(showError);
  if (plans.length) await loadPlan(plans[0].id);
  else $('findings').replaceChildren(h('li', { class: 'muted', text: 'No plan imported (truce coalition import FILE).' }));
}

// ---------------------------------------------------------------- start

window.truceCoalition = {
  counts: () => ({
    nations: page.nations,
    gaps: page.gapRows,
    targets: page.targets,
    deployments: page.deployments,
    symbols: document.querySelectorAll('[data-testid="unit-marker"] svg').length,
    invalidSymbols: page.invalidSymbols ?? 0,
    findings: page.findings.length,
    errors: page.findings.filter((f) => f.severity === 'error').length,
  }),
  highlight,
  fit,
  /** The unit labels on the map: `{name, box}` (client pixels), none overlapping another. */
  labels: () => unitLabels.visible(),
  describeSidc,
  map,
};

$('assume').addEventListener('change', () => {
  document.body.dataset.gaps = 'loading';
  loadGaps().then(() => { document.body.dataset.gaps = 'ready'; }, showError);
});

window.truceCoalition.ready = (async () => {
  try {
    // Nothing is asked of the server before someone has logged in (GET api/v1/me, else the login form).
    await truceSession.require();
    renderBanner();
    await Promise.all([loadBasemap(), loadGeometry(), loadSummary(), loadGaps(), loadRegeneration(), loadPlans()]);
    document.body.dataset.gaps = 'ready';
    document.body.dataset.ready = 'true';
  } catch (e) {
    showError(e);
    document.body.dataset.error = String(e?.message || e);
    document.body.dataset.ready = 'error';
  }
})();
