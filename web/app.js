// truce live map. Plain ES module, no build step: served as is by the truce binary.
// Leaflet is loaded as a classic script before this module (global `L`); observations are clustered by
// obs-layer.js.
// API used (relative to the page): api/v1/vocabulary, api/v1/basemap, api/v1/agreement,
// api/v1/agreement/geometry, api/v1/observations?format=brief, api/v1/observations/{id},
// api/v1/incidents?format=brief, api/v1/stats, api/v1/tracks, api/v1/geofence, api/v1/detections,
// api/v1/interference, WebSocket api/v1/stream (and more: see web/README.md).
// milsymbol (global `ms`) draws the TAK, AIS and ADS-B tracks. See web/README.md.

/* global L, truceSession */

import {
  apiParams, emptyFilter, inArea, matches, narrowed, readFilter, trackMatches, windowOf, writeFilter,
} from './filter.js';
import {
  installAreaDraw, installMeasure, installReadout, installSearch, mgrsGridLayer, renderFilterPanel,
} from './workspace.js';
import { addBasemap } from './basemap.js';
import { observationLayer } from './obs-layer.js';

if (typeof L === 'undefined') {
  // The vendor files are built into the server; under --web-dir they come from its node_modules.
  const msg = 'The map library did not load (vendor/leaflet): '
    + 'if the server runs with --web-dir, run `npm ci` in that folder, then reload.';
  const el = document.getElementById('status');
  el.textContent = msg;
  el.hidden = false;
  document.body.dataset.ready = 'error';
  document.body.dataset.error = msg;
  window.truceMap = { ready: Promise.reject(new Error(msg)), counts: () => ({ lines: 0, zones: 0, observations: 0 }), has: () => false };
  window.truceMap.ready.catch(() => {});
  throw new Error(msg);
}

const API = document.querySelector('meta[name="truce-api"]')?.content || 'api/v1/';
const PAGE_MARKING = document.querySelector('meta[name="truce-marking"]')?.content || 'NATO UNCLASSIFIED';
const WINDOW_DAYS = 7;
const PAGE_LIMIT = 5000;
const MAX_PAGES = 200;

// ---------------------------------------------------------------- vocabulary

// The codes, their order and their words come from the server (GET api/v1/vocabulary, loaded first by
// start()); the page keeps only how each one looks. A code the page has no colour for is drawn in the
// neutral colour with the server's words, so a new violation code or zone kind shows without a page
// change.
const VIOLATION_COLOURS = {
  weapon_forward_of_withdrawal_line: '#b3001b',
  in_disengagement_area: '#e8590c',
  force_inside_standoff: '#d6336c',
  cfv_in_security_zone: '#f59f00',
  weapon_outside_storage_site: '#7048e8',
  in_no_fly_zone: '#1c7ed6',
  in_maritime_exclusion_zone: '#0c8599',
  in_no_mine_zone: '#845000',
};
const ZONE_STYLES = {
  force_standoff: { color: '#5f3dc4', weight: 1.5, dashArray: '6 5', fillColor: '#5f3dc4', fillOpacity: 0.04 },
  territory: { color: '#2b8a3e', weight: 1, fillColor: '#2b8a3e', fillOpacity: 0.10 },
  security_zone: { color: '#c7920a', weight: 1.2, fillColor: '#ffd43b', fillOpacity: 0.28 },
  no_fly: { color: '#1971c2', weight: 1.5, dashArray: '2 6', fillColor: '#1971c2', fillOpacity: 0.03 },
  no_mine: { color: '#845000', weight: 1.5, dashArray: '10 4 2 4', fillColor: '#845000', fillOpacity: 0.03 },
  maritime_exclusion: { color: '#0b7285', weight: 1.5, fillColor: '#15aabf', fillOpacity: 0.30 },
  disengagement_area: { color: '#a61e4d', weight: 2, fillColor: '#f06595', fillOpacity: 0.55 },
  storage_site: { color: '#3b0764', weight: 2, fillColor: '#9c36b5', fillOpacity: 0.65 },
};
const UNKNOWN_ZONE_STYLE = { color: '#495057', weight: 1.5, fillColor: '#adb5bd', fillOpacity: 0.2 };
const NO_VIOLATION = { code: 'none', label: 'No violation', color: '#868e96', rank: 1000 };
const UNKNOWN_COLOR = '#343a40';

/** Violations most severe first: [{code, label, color, rank}] (from the server). */
let VIOLATIONS = [];
/** Observation categories (from the server): [{id, description, ceasefire_violation}]. */
let CATEGORIES = [];
const VIOLATION = new Map();
/** Zone kinds in drawing order (from the server). */
const ZONE_KIND = new Map();
/** Markings from the lowest (from the server). */
let MARKINGS = ['NATO UNCLASSIFIED'];
/** Early-warning levels from the lowest (from the server). */
let LEVELS = ['normal'];
/** The label policy's release codes and dated group memberships (the vocabulary's `release`). */
let RELEASE = null;

/** Takes the server's vocabulary: which codes exist, in which order, with which words. */
function applyVocabulary(v) {
  VIOLATIONS = (v.violations || []).map(({ code, label }, rank) => ({ code, label, color: VIOLATION_COLOURS[code] || UNKNOWN_COLOR, rank }));
  VIOLATION.clear();
  for (const info of VIOLATIONS) VIOLATION.set(info.code, info);
  ZONE_KIND.clear();
  (v.zone_kinds || []).forEach(({ id, label }, order) => {
    ZONE_KIND.set(id, { kind: id, label, style: ZONE_STYLES[id] || UNKNOWN_ZONE_STYLE, order });
  });
  if (Array.isArray(v.markings) && v.markings.length) MARKINGS = v.markings.map((m) => String(m).toUpperCase());
  if (Array.isArray(v.levels) && v.levels.length) LEVELS = v.levels;
  if (v.release && typeof v.release === 'object') RELEASE = v.release;
  CATEGORIES = Array.isArray(v.categories) ? v.categories.filter((c) => typeof c?.id === 'string') : [];
}

function violationInfo(code) {
  return VIOLATION.get(code) || { code, label: humanize(code), color: UNKNOWN_COLOR, rank: 500, unknown: true };
}
/** CSS class carrying a severity's colour (see installColourRules); unknown codes share one class. */
const sevClass = (sev) => `sev-${sev.unknown ? 'unknown' : sev.code}`;

function zoneKindInfo(kind) {
  return ZONE_KIND.get(kind) || { kind, label: humanize(kind || 'zone'), order: 50, style: UNKNOWN_ZONE_STYLE };
}

const zoneClass = (info) => (ZONE_KIND.has(info.kind) ? `zk-${info.kind}` : 'zk-unknown');

/**
 * Colours live in JS (one table for map, legend and panel); map symbols get them through classes defined
 * here with the CSSOM, so no inline style attribute is needed (works under a strict Content-Security-Policy).
 */
function installColourRules() {
  const rules = [...VIOLATIONS, NO_VIOLATION, { code: 'unknown', color: UNKNOWN_COLOR }]
    .map((v) => `.sev-${v.code} { --sev: ${v.color}; }`);
  for (const { kind, style: st } of ZONE_KIND.values()) rules.push(`.zk-${kind} { --zone-fill: ${st.fillColor}; --zone-stroke: ${st.color}; }`);
  rules.push('.zk-unknown { --zone-fill: #adb5bd; --zone-stroke: #495057; }');
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(rules.join('\n'));
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

const PARTY_COLORS = { ukr: '#0057b7', rus: '#c92a2a' };
const LINE_PALETTE = ['#c92a2a', '#0057b7', '#2b8a3e', '#e67700', '#862e9c', '#0b7285'];
const LINE_DASHES = ['12 6', '4 6', '16 4 4 4', '2 4'];

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

// ---------------------------------------------------------------- small helpers

const $ = (id) => document.getElementById(id);

/** Builds an element; children are nodes or strings (strings become text, never HTML). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'style') el.style.cssText = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const ACRONYMS = { uav: 'UAV', tak: 'TAK', gps: 'GPS', cfv: 'CFV', ais: 'AIS', 'ads-b': 'ADS-B', adsb: 'ADS-B', mlrs: 'MLRS' };
function humanize(s) {
  const t = String(s ?? '').replace(/_/g, ' ').replace(/[A-Za-z-]+/g, (w) => ACRONYMS[w.toLowerCase()] || w);
  return t.charAt(0).toUpperCase() + t.slice(1);
}

const pad2 = (n) => String(n).padStart(2, '0');

/** NATO date-time group, e.g. `051100Z SEP 25`. */
function dtg(d) {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) return '—';
  return `${pad2(d.getUTCDate())}${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}Z ` +
    `${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCFullYear() % 100)}`;
}
const utcDay = (d) => d.toISOString().slice(0, 10);
function dayLabel(day) {
  const [y, m, dd] = day.split('-');
  return `${dd} ${MONTHS[Number(m) - 1]} ${y}`;
}
function rfc3339(d) { return d.toISOString().replace(/\.\d{3}Z$/, 'Z'); }

const km = (m) => (m == null || !Number.isFinite(Number(m)) ? '—' : `${(Number(m) / 1000).toFixed(2)} km`);
const fmtCoord = (x) => (Number.isFinite(Number(x)) ? Number(x).toFixed(5) : '—');

let mgrsModule = null;
import(new URL('vendor/mgrs/dist/mgrs.esm.js', document.baseURI).href)
  .then((m) => { mgrsModule = m; })
  .catch(() => { /* MGRS is optional: lat/lon is always shown */ });

/** 10-digit MGRS (1 m, truncated), spaced: `37U DQ 12345 67890`. */
function mgrs(lat, lon) {
  if (!mgrsModule || !Number.isFinite(lat) || !Number.isFinite(lon)) return null;
  try {
    const s = mgrsModule.forward([lon, lat], 5);
    const m = /^(\d{1,2}[A-Z])([A-Z]{2})(\d+)$/.exec(s);
    if (!m) return s;
    const half = m[3].length / 2;
    return `${m[1]} ${m[2]} ${m[3].slice(0, half)} ${m[3].slice(half)}`;
  } catch {
    return null;
  }
}

async function getJson(path, { timeoutMs = 20000 } = {}) {
  const url = new URL(path, new URL(API, document.baseURI));
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  let res;
  try {
    res = await truceSession.fetch(url, { signal: ctl.signal, headers: { accept: 'application/json' } });
  } catch (e) {
    throw new Error(`GET ${url.pathname}${url.search}: ${e.name === 'AbortError' ? 'timed out' : e.message}`);
  } finally {
    clearTimeout(timer);
  }
  if (!res.ok) {
    const body = (await res.text().catch(() => '')).slice(0, 200);
    const err = new Error(`GET ${url.pathname}: HTTP ${res.status}${body ? ` — ${body}` : ''}`);
    err.status = res.status;
    throw err;
  }
  try {
    return await res.json();
  } catch (e) {
    throw new Error(`GET ${url.pathname}: not JSON (${e.message})`);
  }
}

const statusMessages = new Map();
function setStatus(key, msg) {
  if (msg) statusMessages.set(key, msg); else statusMessages.delete(key);
  const el = $('status');
  el.replaceChildren(...[...statusMessages.values()].map((m) => h('div', null, m)));
  el.hidden = statusMessages.size === 0;
}

// ---------------------------------------------------------------- state

const state = {
  agreement: null,
  parties: new Map(), // id -> {id,name,iso3}
  lineNames: new Map(), // id -> name
  zoneNames: new Map(), // id -> {name, kind}
  lineFeatures: 0,
  zoneFeatures: 0,
  highestMarking: 0,
  stats: null, // last /stats answer, with live increments on by_day
  day: null, // {date, total, by_category, by_violation, source}
  statsLoaded: false,
  selectedId: null,
  feed: [],
  home: null, // bounds of Ukraine, the initial view
  since: null, // the start of the observation window, RFC 3339
  zoneLayers: new Map(), // zone id -> its Leaflet layer (for search)
  liveCounted: new Set(), // ids counted in today's counts from the stream
  basemap: null, // basemap.js's handle, once loaded
};

const zoneBounds = (id) => state.zoneLayers.get(id)?.getBounds();

// ---------------------------------------------------------------- map

const map = L.map('map', {
  zoomSnap: 0.25,
  minZoom: 4,
  maxZoom: 15,
  worldCopyJump: false,
  attributionControl: true,
});
map.attributionControl.addAttribution(
  '© <a href="https://www.openstreetmap.org/copyright" target="_blank" rel="noopener">OpenStreetMap</a> contributors',
);
L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
const HomeControl = L.Control.extend({
  options: { position: 'topleft' },
  onAdd() {
    const bar = L.DomUtil.create('div', 'leaflet-bar');
    const a = L.DomUtil.create('a', 'home-button', bar);
    a.href = '#';
    a.id = 'home-button';
    a.title = 'Whole of Ukraine';
    a.setAttribute('role', 'button');
    a.setAttribute('data-testid', 'home-button');
    a.textContent = '⌂';
    L.DomEvent.disableClickPropagation(bar);
    L.DomEvent.on(a, 'click', (e) => { L.DomEvent.preventDefault(e); goHome(true); });
    return bar;
  },
});
new HomeControl().addTo(map);
map.setView([48.5, 32], 6);

map.createPane('basemap').style.zIndex = 200;
map.createPane('zones').style.zIndex = 350;
map.createPane('lines').style.zIndex = 420;
map.createPane('sectors').style.zIndex = 360;
map.createPane('labels').style.zIndex = 430;
map.getPane('labels').style.pointerEvents = 'none';

const basemapLayer = L.layerGroup().addTo(map);
const zoneGroups = new Map(); // kind -> L.LayerGroup
const zonePins = L.layerGroup(); // small zones shown as pins when zoomed out
const lineLayer = L.layerGroup().addTo(map);

function severityOf(obs) {
  let best = NO_VIOLATION;
  for (const v of obs?.classification?.violations || []) {
    const info = violationInfo(v.code);
    if (info.rank < best.rank) best = info;
  }
  return best;
}

/** Cluster sizes by count: under 10, 100, 1,000, and more. */
const clusterStep = (n) => (n < 10 ? 0 : n < 100 ? 1 : n < 1000 ? 2 : 3);
/**
 * The observation layer keeps a severity as a rank from 0 to 255 (lower is more severe): the
 * vocabulary's order, then unknown codes, then no violation; `rankSev` turns a cluster's worst rank back
 * into its colour.
 */
const rankSev = new Map();
function layerRank(sev) {
  const r = sev === NO_VIOLATION ? 255 : sev.unknown ? 254 : Math.min(sev.rank, 253);
  rankSev.set(r, sev);
  return r;
}

// Clusters shrink as one zooms in but never switch off: unclustering at a zoom put every marker of the
// view in the DOM at once (a 14.7 s frame with 100,000 observations; scripts/bench-map). A cell is wider
// than the largest cluster symbol (52 px), so no two symbols overlap.
const obsLayer = observationLayer({
  cellSize: (zoom) => (zoom >= 12 ? 54 : 64),
  markerClass: (item, selected) => `${sevClass(item.sev)}${selected ? ' obs-selected' : ''}`,
  markerSize: (item) => (item.sev === NO_VIOLATION ? 12 : 15),
  clusterClass: (n, rank) => `cs-${clusterStep(n)} ${sevClass(rankSev.get(rank) || NO_VIOLATION)}`,
  clusterSize: (n) => [30, 36, 44, 52][clusterStep(n)],
  title: (item) => `${item.obs.id} · ${humanize(item.obs.category)} · ${dtg(new Date(item.obs.time))}`,
  onSelect: (id) => selectObservation(id, { fromMap: true }),
});
obsLayer.addTo(map);

const isNum = (x) => x != null && x !== '' && Number.isFinite(Number(x));
function validObs(o) {
  return o && typeof o.id === 'string' && o.id !== '' && isNum(o.lat) && isNum(o.lon);
}

function noteMarking(obs) {
  const i = MARKINGS.indexOf(String(obs.marking || '').toUpperCase());
  if (i > state.highestMarking) {
    state.highestMarking = i;
    renderBanner();
  }
}

/** Adds (or replaces) observations on the map. Returns the ones that were new. */
function addObservations(list) {
  const fresh = [];
  const batch = new Map(); // the last of several with one id wins
  for (const raw of list) if (validObs(raw)) batch.set(raw.id, raw);
  for (const raw of batch.values()) {
    const obs = { ...raw, lat: Number(raw.lat), lon: Number(raw.lon) };
    if (!obsLayer.has(obs.id)) fresh.push(obs);
    const sev = severityOf(obs);
    const entry = { obs, sev };
    obsLayer.set(obs.id, entry, obs.lat, obs.lon, layerRank(sev));
    noteMarking(obs);
  }
  $('obs-count').textContent = `${obsLayer.count().toLocaleString('en-GB')} observations`;
  return fresh;
}

/** Takes a withdrawn observation off the map (its history stays on the server). */
function removeObservation(id) {
  if (!obsLayer.has(id)) return;
  obsLayer.remove(id);
  $('obs-count').textContent = `${obsLayer.count().toLocaleString('en-GB')} observations`;
}

// ---------------------------------------------------------------- basemap

const LABEL_AT = { RUS: [53.2, 41.5], UKR: [49.2, 31.0], BLR: [53.6, 27.8], POL: [51.8, 20.5] };

async function loadBasemap() {
  const fc = await getJson('basemap');
  if (!fc || !Array.isArray(fc.features)) throw new Error('GET /api/v1/basemap: not a FeatureCollection');
  const code = (f) => (f.properties?.a3 || f.properties?.A3 || f.properties?.iso3 || '').toUpperCase();
  // Ukraine last, so that its recognised border (Crimea included) is drawn on top of its neighbours.
  const features = [...fc.features].sort((a, b) => (code(a) === 'UKR') - (code(b) === 'UKR'));
  let ukrBounds = null;
  for (const f of features) {
    const isUkr = code(f) === 'UKR';
    const layer = L.geoJSON(f, {
      pane: 'basemap',
      interactive: false,
      style: {
        color: isUkr ? '#495057' : '#adb5bd',
        weight: isUkr ? 1.6 : 0.8,
        fillColor: isUkr ? '#fffdf5' : '#ece9e0',
        fillOpacity: 1,
      },
    }).addTo(basemapLayer);
    if (isUkr) ukrBounds = layer.getBounds();
    const name = f.properties?.name;
    if (name) {
      const at = LABEL_AT[code(f)] || largestPartCenter(layer);
      if (at) {
        L.marker(at, {
          pane: 'labels', interactive: false, keyboard: false,
          icon: L.divIcon({ className: `country-label${isUkr ? ' country-ukr' : ''}`, html: '<span></span>', iconSize: null }),
        }).addTo(basemapLayer).getElement()?.firstChild?.append(String(name).toUpperCase());
      }
    }
  }
  state.home = ukrBounds || L.latLngBounds([44.3, 22.1], [52.4, 40.3]);
  goHome(false);
  map.setMaxBounds(L.latLngBounds([36, 5], [64, 60]));
  // Coastline, rivers, lakes and named places (basemap.js): the map is usable without them.
  try {
    const layers = await addBasemap(map, { api: getJson });
    state.basemap = layers;
    setStatus('basemap', layers.failed.length ? `Basemap layers missing: ${layers.failed.join('; ')}` : null);
  } catch (e) {
    setStatus('basemap', `Basemap layers: ${e.message}`);
  }
}

/** Back to the whole of Ukraine. */
function goHome(animate = true) {
  map.fitBounds(state.home || L.latLngBounds([44.3, 22.1], [52.4, 40.3]), { padding: [10, 10], animate });
}

function largestPartCenter(layer) {
  let best = null;
  let bestArea = 0;
  layer.eachLayer((l) => {
    const b = l.getBounds();
    const a = (b.getNorth() - b.getSouth()) * (b.getEast() - b.getWest());
    if (a > bestArea) { bestArea = a; best = b.getCenter(); }
  });
  return best;
}

// ---------------------------------------------------------------- agreement

function partyName(id) {
  if (id == null) return null;
  return state.parties.get(id)?.name || String(id).toUpperCase();
}

async function loadAgreement() {
  const a = await getJson('agreement');
  state.agreement = a;
  for (const p of a.parties || []) state.parties.set(p.id, p);
  for (const l of a.lines || []) state.lineNames.set(l.id, l.name);
  for (const z of a.zones || []) {
    state.zoneNames.set(z.id, { name: z.name, kind: z.kind, area_km2: z.area_km2, violated_by: z.violated_by });
  }
  $('agreement-title').textContent = a.title || a.id || 'Agreement';
  $('illustrative').hidden = !a.illustrative;
  renderBanner();

  const body = $('agreement-body');
  body.classList.remove('muted');
  const eff = a.effective ? new Date(a.effective) : null;
  body.replaceChildren(
    h('dl', { class: 'kv' },
      h('dt', null, 'Id'), h('dd', null, `${a.id ?? '—'} v${a.version ?? '?'}`),
      h('dt', null, 'Effective'), h('dd', null, eff ? `${dtg(eff)} (${a.effective})` : 'not set'),
      h('dt', null, 'Parties'), h('dd', null, (a.parties || []).map((p) => `${p.name} (${p.iso3 || p.id})`).join(', ') || '—'),
      h('dt', null, 'Phases'), h('dd', null, String((a.phases || []).length)),
    ),
    a.illustrative ? h('p', { class: 'warn' }, 'ILLUSTRATIVE: invented for testing and demonstration; not a real agreement.') : null,
    h('h3', null, 'Lines'),
    h('ul', { class: 'plain' }, (a.lines || []).map((l) => h('li', null, `${l.name} — ${fmtNum(l.length_km, 1)} km`))),
    h('h3', null, 'Zones'),
    h('ul', { class: 'plain' }, (a.zones || []).map((z) =>
      h('li', null, `${z.name} (${zoneKindInfo(z.kind).label}) — ${fmtNum(z.area_km2, 1)} km²`))),
  );
}

function fmtNum(x, digits) {
  const n = Number(x);
  return x == null || !Number.isFinite(n) ? '—' : n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function renderBanner() {
  const base = Math.max(0, MARKINGS.indexOf(PAGE_MARKING.toUpperCase()));
  const idx = Math.max(base, state.highestMarking);
  const marking = MARKINGS[idx] || PAGE_MARKING;
  truceSession.banner(marking, state.agreement?.illustrative ? ' — ILLUSTRATIVE DATA' : '');
}

// ---------------------------------------------------------------- lines and zones

function lineStyleFor(props, index, primary) {
  if (primary) return { color: '#111', weight: 3.5, opacity: 1 };
  // A line named after one party (e.g. "loc_rus") takes that party's colour.
  let color = null;
  for (const [pid, c] of Object.entries(PARTY_COLORS)) {
    if (props.id?.toLowerCase().endsWith(`_${pid}`) || props.party?.toLowerCase?.() === pid) color = c;
  }
  for (const p of state.parties.values()) {
    if (!color && props.id?.toLowerCase().endsWith(`_${String(p.id).toLowerCase()}`)) {
      color = LINE_PALETTE[[...state.parties.keys()].indexOf(p.id) % LINE_PALETTE.length];
    }
  }
  return {
    color: color || LINE_PALETTE[index % LINE_PALETTE.length],
    weight: 2.5,
    opacity: 0.95,
    dashArray: LINE_DASHES[index % LINE_DASHES.length],
  };
}

function popupFor(title, rows) {
  return h('div', { class: 'popup' }, h('strong', null, title),
    h('dl', { class: 'kv' }, rows.filter(Boolean).flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)])));
}

async function loadGeometry() {
  const fc = await getJson('agreement/geometry');
  if (!fc || !Array.isArray(fc.features)) throw new Error('GET /api/v1/agreement/geometry: not a FeatureCollection');
  const zones = fc.features.filter((f) => f?.properties?.layer === 'zone' && f.geometry);
  const lines = fc.features.filter((f) => f?.properties?.layer === 'line' && f.geometry);

  // Zones: wide kinds first so small areas stay clickable on top.
  zones.sort((a, b) => zoneKindInfo(a.properties.kind).order - zoneKindInfo(b.properties.kind).order);
  const kindsPresent = [];
  for (const f of zones) {
    const p = f.properties;
    const info = zoneKindInfo(p.kind);
    let group = zoneGroups.get(info.kind);
    if (!group) {
      group = L.layerGroup().addTo(map);
      zoneGroups.set(info.kind, group);
      kindsPresent.push(info);
    }
    const area = p.area_km2 ?? state.zoneNames.get(p.id)?.area_km2;
    if (!state.zoneNames.has(p.id)) state.zoneNames.set(p.id, { name: p.name, kind: p.kind, area_km2: area });
    const layer = L.geoJSON(f, { pane: 'zones', style: { ...info.style } });
    state.zoneLayers.set(p.id, layer);
    layer.bindPopup(() => popupFor(p.name || p.id, [
      ['Id', p.id], ['Kind', info.label],
      area != null ? ['Area', `${fmtNum(area, 1)} km²`] : null,
      state.zoneNames.get(p.id)?.violated_by?.length
        ? ['Violated by', state.zoneNames.get(p.id).violated_by.map(humanize).join(', ')] : null,
      p.derived ? ['Outline', 'traced from its line for display (to about 2 km)'] : null,
    ]));
    layer.bindTooltip(`${p.name || p.id} (${info.label})`, { sticky: true });
    layer.addTo(group);
    state.zoneFeatures += 1;
    // Small zones (a few km) vanish at country scale: add a pin at their centre when zoomed out.
    const b = layer.getBounds();
    if (b.isValid() && map.distance(b.getSouthWest(), b.getNorthEast()) < 30000) {
      const pin = L.marker(b.getCenter(), {
        pane: 'lines',
        keyboard: false,
        icon: L.divIcon({
          className: `zone-pin ${zoneClass(info)}`,
          html: '<span></span>',
          iconSize: [12, 12],
        }),
      });
      pin.zoneKind = info.kind;
      pin.bindTooltip(`${p.name || p.id} (${info.label})`);
      pin.on('click', () => map.fitBounds(b, { maxZoom: 12 }));
      pin.addTo(zonePins);
    }
  }
  map.on('zoomend', updateZonePins);
  updateZonePins();

  // Lines on top; the line of contact ('loc', or the agreement's first line) is the prominent one.
  const primaryId = lines.some((f) => f.properties.id === 'loc') ? 'loc' : (state.agreement?.lines?.[0]?.id ?? lines[0]?.properties.id);
  const legendLines = [];
  let other = 0;
  // Draw the primary last so it stays on top.
  lines.sort((a, b) => (a.properties.id === primaryId) - (b.properties.id === primaryId));
  for (const f of lines) {
    const p = f.properties;
    const primary = p.id === primaryId;
    const style = lineStyleFor(p, primary ? 0 : other++, primary);
    if (primary) {
      L.geoJSON(f, { pane: 'lines', interactive: false, style: { color: '#fff', weight: 7, opacity: 0.85 } }).addTo(lineLayer);
    }
    const layer = L.geoJSON(f, { pane: 'lines', style });
    const length = p.length_km ?? state.agreement?.lines?.find((l) => l.id === p.id)?.length_km;
    if (!state.lineNames.has(p.id) && p.name) state.lineNames.set(p.id, p.name);
    layer.bindPopup(() => popupFor(p.name || p.id, [
      ['Id', p.id],
      ['Left side', partyName(p.left) ?? '—'],
      ['Right side', partyName(p.right) ?? '—'],
      length != null ? ['Length', `${fmtNum(length, 1)} km`] : null,
    ]));
    layer.bindTooltip(p.name || p.id, { sticky: true });
    layer.addTo(lineLayer);
    state.lineFeatures += 1;
    legendLines.push({ p, style, primary });
  }
  renderZoneAndLineLegend(kindsPresent, legendLines.reverse());
}

function updateZonePins() {
  const show = map.getZoom() < 10;
  if (show && !map.hasLayer(zonePins)) zonePins.addTo(map);
  if (!show && map.hasLayer(zonePins)) zonePins.remove();
  // A pin follows its kind's visibility.
  zonePins.eachLayer((pin) => {
    const visible = map.hasLayer(zoneGroups.get(pin.zoneKind));
    pin.setOpacity(visible ? 1 : 0);
  });
}

function lineSwatch(style) {
  const dash = style.dashArray ? ` stroke-dasharray="${style.dashArray}"` : '';
  const svg = `<svg width="34" height="10" aria-hidden="true"><line x1="1" y1="5" x2="33" y2="5" stroke="${style.color}" stroke-width="${Math.min(style.weight, 4)}"${dash}/></svg>`;
  const span = h('span', { class: 'swatch-line' });
  span.innerHTML = svg; // built only from our own constants
  return span;
}

function renderZoneAndLineLegend(kinds, lines) {
  $('legend-lines').replaceChildren(...lines.map(({ p, style, primary }) => h('li', { dataset: { line: p.id } },
    lineSwatch(style),
    h('span', null, p.name || p.id, primary ? h('span', { class: 'muted small' }, ' (line of contact)') : null,
      p.left || p.right ? h('span', { class: 'muted small' }, ` — left ${partyName(p.left) ?? '?'}, right ${partyName(p.right) ?? '?'}`) : null))));

  $('legend-zones').replaceChildren(...kinds.map((info) => {
    const box = h('input', {
      type: 'checkbox', checked: true, id: `zone-toggle-${info.kind}`, 'data-testid': `zone-toggle-${info.kind}`,
      onchange: (e) => {
        const g = zoneGroups.get(info.kind);
        if (e.target.checked) g.addTo(map); else g.remove();
        updateZonePins();
      },
    });
    const s = info.style;
    return h('li', { dataset: { zoneKind: info.kind } },
      h('label', { for: `zone-toggle-${info.kind}` }, box,
        h('span', {
          class: 'swatch-area',
          style: `background:${hexA(s.fillColor, Math.max(s.fillOpacity, 0.08))};border:2px ${s.dashArray ? 'dashed' : 'solid'} ${s.color}`,
        }),
        h('span', null, info.label)));
  }));
}

function hexA(hex, a) {
  const m = /^#([0-9a-f]{6})$/i.exec(hex || '');
  if (!m) return hex;
  const n = parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

function renderObservationLegend() {
  const items = [...VIOLATIONS, NO_VIOLATION];
  $('legend-observations').replaceChildren(
    ...items.map((v) => h('li', { dataset: { violation: v.code } },
      h('span', { class: `swatch-dot${v === NO_VIOLATION ? ' small-dot' : ''}`, style: `background:${v.color}` }),
      h('span', null, v.label))),
    h('li', null, h('span', { class: 'swatch-cluster' }, 'n'),
      h('span', null, 'Cluster of n observations; ring = its most severe violation')),
  );
}

// ---------------------------------------------------------------- observations

/**
 * Loads the observations the API gives for `params` (the view's filter; or, catching up, the filter with
 * `received_since`), page by page, onto the map. Answers of an older reload (`gen`) are dropped. A page
 * of 5,000 goes onto the observation layer in a few milliseconds (it clusters when it draws, once a
 * frame), so the page keeps drawing frames and answering input while 100,000 load.
 */
async function loadObservations(params, gen = view.generation) {
  let total = 0;
  await loadObservationsInto(params, (list) => {
    // A reload cleared the map meanwhile: this page belongs to the old filter.
    if (gen !== view.generation) return;
    total += addObservations(list).length;
    setStatus('load', `Loading observations… ${obsLayer.count().toLocaleString('en-GB')}`);
  }, gen);
  setStatus('load', null);
  return total;
}

/**
 * A brief observation (`format=brief`) in the shape of a whole one, as far as it goes: its violation
 * codes as its classification's violations. `brief` says the rest is to be asked for when it is opened.
 */
function fromBrief(b) {
  const { violations, ...rest } = b || {};
  return { ...rest, brief: true, classification: { violations: (Array.isArray(violations) ? violations : []).map((code) => ({ code })) } };
}

/**
 * Pages through `observations?params` and hands each page's observations to `sink` (which may return a
 * promise: the next page is handed over once it settles). The next page is asked for as soon as this
 * one's cursor is read, before `sink` runs, so the server builds it while the page draws this one.
 */
async function loadObservationsInto(params, sink, gen) {
  const ask = (cursor) => {
    const q = new URLSearchParams(params);
    q.set('limit', String(PAGE_LIMIT));
    q.set('format', 'brief');
    if (cursor) q.set('cursor', cursor);
    return getJson(`observations?${q}`, { timeoutMs: 60000 });
  };
  const seen = new Set();
  let pending = ask(null);
  for (let page = 0; pending; page++) {
    const fc = await pending;
    pending = null;
    if (gen !== view.generation) return;
    const feats = Array.isArray(fc?.observations) ? fc.observations : [];
    const cursor = fc?.next ?? null;
    if (cursor && !seen.has(cursor) && feats.length > 0) {
      seen.add(cursor);
      if (page + 1 === MAX_PAGES) {
        setStatus('truncated', `Showing the first ${(MAX_PAGES * PAGE_LIMIT).toLocaleString('en-GB')} observations only (page limit): narrow the filter.`);
      } else {
        pending = ask(cursor);
        // Handled where it is awaited; this keeps a failure while `sink` runs from being reported as
        // unhandled.
        pending.catch(() => {});
      }
    }
    await sink(feats.map(fromBrief));
  }
}

// ---------------------------------------------------------------- today's counts

function inc(m, k, by = 1) { m[k] = (m[k] || 0) + by; }

function obsDay(o) {
  const d = new Date(o.time);
  return Number.isNaN(d.getTime()) ? null : utcDay(d);
}

function violationCodes(o) {
  return [...new Set((o.classification?.violations || []).map((v) => v.code))];
}

function pickDay() {
  const today = utcDay(new Date());
  const byDay = state.stats?.by_day || {};
  if ((byDay[today] || 0) > 0) return today;
  const days = Object.keys(byDay).filter((d) => byDay[d] > 0).sort();
  return days.length ? days[days.length - 1] : today;
}

function countsFromLoaded(day) {
  const c = { date: day, total: 0, by_category: {}, by_violation: {}, source: 'map' };
  for (const m of obsLayer.items()) {
    if (obsDay(m.obs) !== day) continue;
    c.total += 1;
    inc(c.by_category, m.obs.category || 'unknown');
    for (const code of violationCodes(m.obs)) inc(c.by_violation, code);
  }
  return c;
}

function chooseDayCounts() {
  const day = pickDay();
  const t = state.stats?.today;
  if (t && t.date === day) {
    state.day = { date: day, total: t.total ?? 0, by_category: { ...(t.by_category || {}) }, by_violation: { ...(t.by_violation || {}) }, source: 'server' };
  } else {
    state.day = countsFromLoaded(day);
  }
}

async function loadStats() {
  const s = await getJson('stats');
  state.stats = { ...s, by_day: { ...(s.by_day || {}) } };
  state.statsLoaded = true;
  chooseDayCounts();
  renderToday();
}

/** A new observation arrived live: bump the counts. */
function countLive(o) {
  if (!state.stats) return;
  const day = obsDay(o);
  if (!day) return;
  state.stats.total = (state.stats.total || 0) + 1;
  inc(state.stats.by_day, day);
  const want = pickDay();
  if (!state.day || want !== state.day.date) {
    state.day = countsFromLoaded(want); // already includes o, which is on the map
  } else if (day === state.day.date) {
    state.day.total += 1;
    inc(state.day.by_category, o.category || 'unknown');
    for (const code of violationCodes(o)) inc(state.day.by_violation, code);
  }
  scheduleRenderToday();
}

let renderPending = false;
function scheduleRenderToday() {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => { renderPending = false; renderToday(); });
}

function renderToday() {
  const d = state.day;
  if (!d) return;
  const today = utcDay(new Date());
  $('today-title').textContent = d.date === today ? `Today, ${dayLabel(d.date)} (UTC)` : `${dayLabel(d.date)} (UTC)`;
  $('today-title').dataset.date = d.date;
  $('today-note').textContent = d.date === today
    ? 'Counts for the current UTC day, updated live.'
    : `No observations yet today (${dayLabel(today)}); showing the latest day with observations.`;
  $('today-total').textContent = d.total.toLocaleString('en-GB');
  const viol = Object.entries(d.by_violation).filter(([, n]) => n > 0)
    .sort((a, b) => violationInfo(a[0]).rank - violationInfo(b[0]).rank);
  $('today-violations').replaceChildren(...(viol.length ? viol.map(([code, n]) => {
    const v = violationInfo(code);
    return h('li', { dataset: { violation: code } },
      h('span', { class: 'swatch-dot', style: `background:${v.color}` }), h('span', { class: 'label' }, v.label), h('span', { class: 'n' }, n));
  }) : [h('li', { class: 'muted' }, 'None')]));
  const cats = Object.entries(d.by_category).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  $('today-categories').replaceChildren(...(cats.length ? cats.map(([c, n]) =>
    h('li', { dataset: { category: c } }, h('span', { class: 'label' }, humanize(c)), h('span', { class: 'n' }, n)))
    : [h('li', { class: 'muted' }, 'None')]));
}

// ---------------------------------------------------------------- details

function row(k, v) { return v == null || v === '' ? null : [h('dt', null, k), h('dd', null, v)]; }

function renderDetails(o) {
  const t = o.time ? new Date(o.time) : null;
  const te = o.time_end ? new Date(o.time_end) : null;
  const ob = o.observer || {};
  const cls = o.classification || {};
  const grid = mgrs(o.lat, o.lon);
  const sev = severityOf(o);

  const lineRows = Object.entries(cls.lines || {}).map(([id, r]) => h('li', null,
    h('span', null, state.lineNames.get(id) || id), ': ',
    h('strong', null, km(r?.distance_m)), ', ',
    r?.side ? `${partyName(r.side)} side` : 'on the line or beyond its ends (side undetermined)'));

  const zoneRows = (cls.zones || []).map((z) => {
    const meta = state.zoneNames.get(z);
    return h('li', null, meta ? `${meta.name} (${zoneKindInfo(meta.kind).label})` : z);
  });

  const violRows = (cls.violations || []).map((v) => {
    const info = violationInfo(v.code);
    const ev = [];
    if (v.zone) ev.push(`zone: ${state.zoneNames.get(v.zone)?.name || v.zone}`);
    if (v.class) ev.push(`weapon class: ${v.class}`);
    if (v.party) ev.push(`party: ${partyName(v.party)}`);
    if (v.line) ev.push(`line: ${state.lineNames.get(v.line) || v.line}`);
    if (v.required_m != null) ev.push(`required ≥ ${km(v.required_m)}`);
    if (v.actual_m != null) ev.push(`actual ${km(v.actual_m)}`);
    if (v.phase) ev.push(`phase: ${v.phase}`);
    if (v.count != null) ev.push(`count: ${v.count}`);
    if (v.category) ev.push(`category: ${humanize(v.category)}`);
    return h('li', { dataset: { violation: v.code } },
      h('span', { class: 'swatch-dot', style: `background:${info.color}` }),
      h('strong', null, info.label), ev.length ? h('div', { class: 'evidence' }, ev.join(' · ')) : null);
  });

  const observer = [ob.means && humanize(ob.means), ob.team, ob.callsign && `callsign ${ob.callsign}`].filter(Boolean).join(' · ');
  const observerGeo = [
    ob.lat != null && ob.lon != null ? `from ${fmtCoord(ob.lat)}, ${fmtCoord(ob.lon)}` : null,
    ob.bearing_deg != null ? `bearing ${fmtNum(ob.bearing_deg, 0)}°` : null,
    ob.range_m != null ? `range ${km(ob.range_m)}` : null,
  ].filter(Boolean).join(', ');

  $('details-title').textContent = o.id;
  $('details-body').replaceChildren(
    h('div', { class: 'details-marking', 'data-testid': 'details-marking' }, labelText(o)),
    h('div', { class: 'sev', style: `border-left-color:${sev.color}` }, sev.label),
    h('dl', { class: 'kv' },
      row('Id', h('code', { 'data-testid': 'details-id' }, o.id)),
      row('Time (DTG)', h('span', { 'data-testid': 'details-dtg' }, t ? dtg(t) : '—')),
      row('Time (ISO)', [o.time, te ? ` → ${o.time_end}` : ''].join('')),
      row('Precision', o.time_precision && humanize(o.time_precision)),
      row('Category', humanize(o.category)),
      row('Weapon class', o.weapon_class),
      row('Count', o.count != null ? String(o.count) : null),
      row('Direction', o.direction),
      row('Party', o.party && partyName(o.party)),
      row('Position', `${fmtCoord(o.lat)}, ${fmtCoord(o.lon)}`),
      row('MGRS', grid),
      row('Location', [o.place, o.location_precision && `precision: ${o.location_precision}`].filter(Boolean).join(' · ')),
      row('Observer', observer || null),
      row('Observer geometry', observerGeo || null),
      row('Confidence', o.confidence && humanize(o.confidence)),
      row('Reason', o.reason),
      row('Casualties', o.casualties ? `${o.casualties.killed ?? 0} killed, ${o.casualties.injured ?? 0} injured` : null),
      row('Source', o.source_ref),
      row('Received', o.received_at ? `${dtg(new Date(o.received_at))} (${o.received_at})` : null),
    ),
    o.text ? h('blockquote', { 'data-testid': 'details-text' }, o.text) : null,
    h('h3', null, 'Distance to lines'),
    h('ul', { class: 'plain' }, lineRows.length ? lineRows : h('li', { class: 'muted' }, '—')),
    h('h3', null, 'Zones'),
    h('ul', { class: 'plain' }, zoneRows.length ? zoneRows : h('li', { class: 'muted' }, 'Outside every zone')),
    h('h3', null, 'Violations'),
    h('ul', { class: 'plain violations', 'data-testid': 'details-violations' }, violRows.length ? violRows : h('li', { class: 'muted' }, 'None')),
  );
  $('details').hidden = false;
}

function selectObservation(id, { fromMap = false } = {}) {
  const m = obsLayer.get(id);
  if (!m) return Promise.resolve(false);
  state.selectedId = id;
  obsLayer.select(id);
  renderDetails(m.obs);
  $('details').scrollIntoView({ block: 'nearest' });
  const whole = m.obs.brief ? loadWhole(id, m) : Promise.resolve();
  if (!fromMap) {
    // In the middle of the map, where no control (the layer list, the legend) can sit over it. The
    // selected observation is drawn on its own; the zoom is the least that keeps it out of every cluster
    // once it is no longer selected.
    map.setView([m.obs.lat, m.obs.lon], Math.max(map.getZoom(), obsLayer.separateZoom(id)), { animate: false });
  }
  // Resolves once its marker is drawn and its whole record shown.
  return Promise.all([obsLayer.drawn(), whole]).then(() => true);
}

/**
 * The whole record of an observation loaded in brief (its observer, classification, text…), shown when
 * it comes if the observation is still the one selected.
 */
async function loadWhole(id, entry) {
  $('details').dataset.loading = 'true';
  try {
    const o = await getJson(`observations/${encodeURIComponent(id)}`);
    if (obsLayer.get(id) !== entry || !validObs(o)) return;
    entry.obs = { ...o, lat: Number(o.lat), lon: Number(o.lon) };
    setStatus('details', null);
    if (state.selectedId === id) renderDetails(entry.obs);
  } catch (e) {
    if (state.selectedId === id) setStatus('details', `Observation ${id}: ${e.message}`);
  } finally {
    delete $('details').dataset.loading;
  }
}

$('details-close').addEventListener('click', () => {
  state.selectedId = null;
  obsLayer.select(null);
  $('details').hidden = true;
});

// ---------------------------------------------------------------- live stream

const conn = {
  ws: null, attempt: 0, timer: null, buffer: [], initialDone: false, connectedOnce: false, lostAt: null, lastMessageAt: null,
  resyncing: false, resyncFrom: null,
};

function setConn(s, text) {
  const el = $('conn');
  el.dataset.state = s;
  el.textContent = text;
}

function connect() {
  clearTimeout(conn.timer);
  const url = new URL('stream', new URL(API, document.baseURI));
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  // Batched (docs/api.md): one message every 200 ms instead of one per event, each track's latest
  // position only. A message costs the page a task and a parse however small it is, and 10,000 tracks
  // reporting every second made those half of the main thread's work.
  url.searchParams.set('batch', '1');
  setConn('connecting', '○ CONNECTING');
  let ws;
  try {
    // The token as a subprotocol: a browser cannot set Authorization on a WebSocket.
    ws = new WebSocket(url, truceSession.wsProtocols());
  } catch (e) {
    scheduleReconnect();
    return;
  }
  conn.ws = ws;
  ws.onopen = () => {
    conn.attempt = 0;
    setConn('open', '● LIVE');
    if (conn.connectedOnce && conn.initialDone) resync(conn.lostAt || new Date());
    conn.lostAt = null;
    conn.connectedOnce = true;
  };
  ws.onmessage = (ev) => {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (msg?.type === 'batch' && Array.isArray(msg.messages)) {
      // The batch's tracks in one pass (one clock read, one redraw request); every other message as it
      // comes, in order. The server publishes a batch of tracks after its geofence events, so taking the
      // tracks last keeps that order.
      const reports = [];
      for (const m of msg.messages) {
        if (m?.type === 'track' && m.track) reports.push(m.track); else streamMessage(m);
      }
      upsertTracks(reports);
      return;
    }
    streamMessage(msg);
  };
  let opened = false;
  ws.addEventListener('open', () => { opened = true; });
  ws.onclose = () => {
    if (conn.ws !== ws) return;
    conn.lostAt ??= new Date();
    // Refused before it opened: perhaps the session ended (a 401 brings the login form back).
    if (!opened) truceSession.fetch(new URL('me', new URL(API, document.baseURI))).catch(() => {});
    scheduleReconnect();
  };
  ws.onerror = () => { /* onclose follows */ };
}

/** One message of the stream (docs/api.md, "The stream"). */
function streamMessage(msg) {
  if (msg?.type === 'lagged') {
    // The server dropped messages for us (we read too slowly): fetch what was missed.
    if (conn.initialDone) resync(new Date(conn.lastMessageAt || Date.now()));
    return;
  }
  if (msg?.type === 'alert' && msg.alert) {
    pushAlert(msg.alert, true);
    loadWarning().catch((e) => setStatus('warning', `Early warning: ${e.message}`));
    return;
  }
  if (msg?.type === 'alert_ack' && Number.isFinite(msg.seq)) {
    applyAck(msg.seq, msg.ack);
    return;
  }
  if (msg?.type === 'track' && msg.track) {
    upsertTrack(msg.track);
    return;
  }
  if (msg?.type === 'geofence' && msg.geofence) {
    pushGeofence(msg.geofence, true);
    return;
  }
  if (msg?.type === 'detection' && msg.detection) {
    pushDetection(msg.detection, true);
    return;
  }
  if (msg?.type === 'withdrawn' && msg.withdrawn) {
    removeObservation(msg.withdrawn.id);
    warningSoon();
    return;
  }
  if (msg?.type !== 'observation' || !msg.observation) return;
  conn.lastMessageAt = Date.now();
  warningSoon();
  const item = { obs: msg.observation, countable: state.statsLoaded };
  if (conn.initialDone) handleLive(item); else conn.buffer.push(item);
}

function scheduleReconnect() {
  conn.attempt += 1;
  const delay = Math.min(30000, 1000 * 2 ** Math.min(conn.attempt - 1, 5)) * (0.8 + Math.random() * 0.4);
  const until = Date.now() + delay;
  const tick = () => {
    const s = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    setConn('closed', `○ OFFLINE — retry in ${s}s`);
  };
  tick();
  const iv = setInterval(tick, 1000);
  conn.timer = setTimeout(() => { clearInterval(iv); connect(); }, delay);
}

/**
 * After a reconnect, or when the server says we lagged: fetch the observations the server received from
 * 10 minutes before `lostAt` on, whatever their own time (a late report can carry an old time; known ids
 * are replaced, not duplicated), then fresh counts.
 */
async function resync(lostAt) {
  // One catch-up at a time: a server dropping messages for us says so every second or two, and catch-ups
  // started on each would pile up. One asked for meanwhile runs once after, from the earliest time asked.
  if (conn.resyncing) {
    conn.resyncFrom = conn.resyncFrom && conn.resyncFrom < lostAt ? conn.resyncFrom : lostAt;
    return;
  }
  conn.resyncing = true;
  try {
    await catchUp(lostAt);
  } finally {
    conn.resyncing = false;
  }
  if (conn.resyncFrom) {
    const again = conn.resyncFrom;
    conn.resyncFrom = null;
    resync(again);
  }
}

async function catchUp(lostAt) {
  const from = new Date(lostAt.getTime() - 10 * 60 * 1000);
  try {
    if (!replay.active) {
      const q = apiParams(view.filter, view.win);
      q.set('received_since', rfc3339(from));
      await loadObservations(q);
      await loadViewStats();
    }
    await loadStats();
    await Promise.all([loadTracks(), loadGeofence(), loadDetections(), loadInterference()]);
  } catch (e) {
    setStatus('resync', `Could not catch up after reconnecting: ${e.message}`);
    return;
  }
  setStatus('resync', null);
}

function handleLive({ obs, countable }) {
  if (!validObs(obs)) return;
  // Today's counts take every new observation (an amendment of one already counted is not new); the
  // view takes those inside its filter (a nation filter too: the vocabulary's release codes say which
  // nations an observation is releasable to on its day, as the server's filter reads them).
  const known = obsLayer.has(obs.id) || state.liveCounted.has(obs.id);
  state.liveCounted.add(obs.id);
  const shown = inView(obs);
  const fresh = shown ? addObservations([obs]) : [];
  if (countable && !known) countLive(obs);
  if (shown) showLive(obs, fresh);
}

/** Draws what a live observation changed in the view (`fresh`: what addObservations added). */
function showLive(obs, fresh) {
  if (state.selectedId === obs.id) renderDetails(obsLayer.get(obs.id).obs);
  if (!fresh.length) return; // an update of one already shown
  scheduleViewStats();
  pushFeed(fresh[0]);
  flash(obs.id);
}

/** A ring around the new observation's marker, or its cluster's, once drawn. */
function flash(id) {
  obsLayer.flash(id);
}

function pushFeed(o) {
  state.feed.unshift(o);
  state.feed.length = Math.min(state.feed.length, 8);
  $('feed').replaceChildren(...state.feed.map((x) => {
    const sev = severityOf(x);
    return h('li', null, h('button', {
      type: 'button', class: 'feed-item', 'data-obs-id': x.id, onclick: () => selectObservation(x.id),
    }, h('span', { class: 'swatch-dot', style: `background:${sev.color}` }),
    h('span', { class: 'feed-time' }, dtg(new Date(x.time))),
    h('span', null, `${humanize(x.category)}${x.place ? ` · ${x.place}` : ''}`)));
  }));
}

// ---------------------------------------------------------------- early warning

const alertState = { list: [], seqs: new Set(), shown: null };

/** The sectors along the line, coloured by their warning level (GET sectors for the shapes). */
const LEVEL_COLOURS = { normal: '#2e7d32', elevated: '#f9a825', high: '#ef6c00', critical: '#b71c1c' };
const sectorLayer = L.layerGroup().addTo(map);
const sectorState = { layers: new Map(), levels: new Map(), features: new Map() };

async function loadSectors() {
  const fc = await getJson('sectors');
  sectorLayer.clearLayers();
  sectorState.layers.clear();
  sectorState.features.clear();
  for (const f of fc.features || []) {
    const p = f.properties || {};
    sectorState.features.set(p.id, f);
    const layer = L.geoJSON(f, { pane: 'sectors', interactive: true, style: { weight: 26, opacity: 0.5, lineCap: 'butt', lineJoin: 'round', fillOpacity: 0.15 } });
    layer.bindTooltip(() => `Sector ${p.name}: ${sectorState.levels.get(p.id) || 'unknown'}${p.kind === 'stretch' ? ` (km ${fmtNum(p.from_km, 0)}–${fmtNum(p.to_km, 0)} of the line, observations within ${fmtNum(p.max_distance_km, 0)} km)` : ''}`, { sticky: true });
    layer.on('add', () => layer.eachLayer((l) => { const el = l.getElement?.(); if (el) { el.dataset.testid = 'sector'; el.dataset.sector = p.id; } }));
    layer.addTo(sectorLayer);
    sectorState.layers.set(p.id, layer);
  }
  colourSectors();
  // The filter panel offers the sectors, and the chosen one is outlined.
  renderFilter();
  drawArea();
}

/** The name of a sector by its id (incidents carry their sector's name). */
const sectorName = (id) => sectorState.features.get(id)?.properties?.name ?? id;

function colourSectors() {
  for (const [id, layer] of sectorState.layers) {
    const level = sectorState.levels.get(id) || 'unknown';
    layer.setStyle({ color: LEVEL_COLOURS[level] || '#868e96' });
    layer.eachLayer((l) => { const el = l.getElement?.(); if (el) el.dataset.level = level; });
  }
}

function levelBadge(level) {
  const known = LEVELS.includes(level) ? level : 'unknown';
  return h('span', { class: 'level', 'data-level': known }, known);
}

/** An observation behind a reason: selects it on the map, else opens it from the server. */
function evidenceLink(id) {
  return h('a', {
    href: '#', class: 'evidence-link', 'data-obs-id': id,
    onclick: (e) => {
      e.preventDefault();
      if (obsLayer.has(id)) { selectObservation(id); return; }
      getJson(`observations/${encodeURIComponent(id)}`).then((o) => {
        renderDetails({ ...o, lat: Number(o.lat), lon: Number(o.lon) });
        if (isNum(o.lat) && isNum(o.lon)) map.setView([Number(o.lat), Number(o.lon)], Math.max(map.getZoom(), 10));
      }, (err) => setStatus('evidence', `Observation ${id}: ${err.message}`));
    },
  }, id);
}

/** One reason: its detector, its level, the sentence and links to the observations behind it. */
function reasonItem(r) {
  const obs = r.observations || [];
  return h('li', { class: 'reason', 'data-detector': r.detector },
    levelBadge(r.level), ' ', h('span', null, r.message),
    obs.length ? h('div', { class: 'evidence small' }, 'Evidence: ', ...obs.slice(0, 8).flatMap((id) => [evidenceLink(id), ' ']),
      obs.length > 8 ? `and ${obs.length - 8} more` : '') : null);
}

/** How long after a report arrives the warning picture is asked for again, and how often without. */
const WARNING_AFTER_REPORT_MS = 5000;
const WARNING_EVERY_MS = 60000;
const warningState = { pending: null, shown: null };

/**
 * The warning picture again a few seconds after reports arrive (one request for a burst of them). The
 * API assesses what is stored when asked, while alerts, which also reload the picture, come with the
 * watch's rounds: without this the sectors' colours could lag the API's levels by a round.
 */
function warningSoon() {
  if (warningState.pending) return;
  warningState.pending = setTimeout(() => {
    warningState.pending = null;
    loadWarning(true).catch((e) => setStatus('warning', `Early warning: ${e.message}`));
  }, WARNING_AFTER_REPORT_MS);
}

/**
 * The latest assessment: the line's level and why (its own detectors' reasons and, when a sector is
 * higher than those, that sector: the line is as high as its highest sector), and each sector's level
 * with all of its reasons and their evidence.
 */
async function loadWarning(onlyIfChanged = false) {
  const w = await getJson('warning');
  // Drawn again only when the levels, reasons or notes changed: a panel redrawn under the reader
  // would close what they opened.
  const shown = JSON.stringify([w.level, w.reasons, w.sectors, w.notes]);
  if (onlyIfChanged && shown === warningState.shown) return;
  warningState.shown = shown;
  const line = $('warning-line');
  line.dataset.level = LEVELS.includes(w.level) ? w.level : 'unknown';
  line.textContent = `Line: ${w.level}`;
  const rank = (l) => LEVELS.indexOf(l);
  const own = Math.max(-1, ...(w.reasons || []).map((r) => rank(r.level)));
  const sectors = w.sectors || [];
  const top = sectors.filter((s) => rank(s.level) === rank(w.level) && rank(s.level) > own);
  const why = [
    ...(w.reasons || []).map(reasonItem),
    ...top.map((s) => h('li', { class: 'reason', 'data-sector': s.sector },
      levelBadge(s.level), ' ', `Sector ${s.name} is ${s.level}: the line takes its highest sector's level.`)),
    ...(w.notes || []).map((n) => h('li', { class: 'muted small' }, n)),
  ];
  for (const sec of sectors) sectorState.levels.set(sec.sector, sec.level);
  colourSectors();
  $('warning-reasons').replaceChildren(...(why.length ? why : [h('li', { class: 'muted' }, 'No detector fired.')]));
  $('warning-sectors').replaceChildren(...sectors.map((s) => {
    const reasons = s.reasons || [];
    return h('li', { 'data-sector': s.sector, 'data-level': s.level },
      h('details', { open: rank(s.level) > 0 ? true : null },
        h('summary', null, h('span', null, s.name), ' ', levelBadge(s.level),
          reasons.length ? h('span', { class: 'why' }, ` ${reasons[0].message}`) : null),
        reasons.length ? h('ul', { class: 'plain reasons' }, reasons.map(reasonItem)) : h('div', { class: 'muted small' }, 'No detector fired.')));
  }));
  setStatus('warning', null);
}

/** Adds an alert to the panel (newest first); clicking it selects the first observation behind it. */
function pushAlert(a, fresh = false) {
  if (alertState.seqs.has(a.seq)) return;
  alertState.seqs.add(a.seq);
  alertState.list.unshift(a);
  alertState.list.sort((x, y) => y.seq - x.seq);
  alertState.list.length = Math.min(alertState.list.length, 200);
  renderAlerts(fresh ? a.seq : null);
}

/** The alerts the view shows: the replay's up to its clock, else those in the time window. */
function alertsShown() {
  if (alertState.shown) return [...alertState.shown].sort((x, y) => y.seq - x.seq);
  const { since, until } = view.win;
  const { sector } = view.filter;
  return alertState.list.filter((a) => {
    const t = Date.parse(a.at);
    return (!since || t >= since.getTime()) && (!until || t < until.getTime()) && (!sector || a.scope === sector);
  });
}

function renderAlerts(freshSeq) {
  const list = alertsShown().slice(0, 50);
  if (!list.length) {
    $('alerts').replaceChildren(h('li', { class: 'muted' }, replay.active ? 'No alert yet in the replay.' : 'No alerts in the time window.'));
    return;
  }
  $('alerts').replaceChildren(...list.map((a) => {
    const reason = (a.reasons || [])[0];
    const first = reason?.observations?.[0];
    const ack = a.ack;
    return h('li', {
      'data-level': a.level, 'data-seq': String(a.seq), 'data-scope': a.scope, 'data-acked': ack ? 'true' : 'false',
      class: `${a.seq === freshSeq ? 'fresh' : ''}${ack ? ' acked' : ''}`,
      title: (a.reasons || []).map((r) => `${r.detector}: ${r.message}`).join('\n'),
    },
    h('div', { onclick: () => { if (first && obsLayer.has(first)) selectObservation(first); } },
      h('b', null, a.name), ` ${a.previous} → `, levelBadge(a.level)),
    h('div', { class: 'muted' }, dtg(new Date(a.at))),
    h('div', null, reason ? reason.message : 'back to normal'),
    reason?.observations?.length ? h('div', { class: 'evidence small' }, 'Evidence: ',
      ...reason.observations.slice(0, 5).flatMap((id) => [evidenceLink(id), ' '])) : null,
    ack
      ? h('div', { class: 'ack', 'data-testid': 'alert-ack' }, `✔ Acknowledged by ${ack.by}, ${dtg(new Date(ack.at))}: `, h('q', null, ack.note))
      : replay.active ? null : ackForm(a));
  }));
}

/** The form that acknowledges an alert with a note. */
function ackForm(a) {
  const input = h('input', { type: 'text', maxlength: 500, placeholder: 'Note, e.g. known, under investigation', 'data-testid': 'ack-note', 'aria-label': `Note for alert ${a.seq}` });
  const msg = h('span', { class: 'ack-error small', role: 'alert' });
  const send = async () => {
    const note = input.value.trim();
    if (!note) { msg.textContent = 'Write a note first.'; return; }
    try {
      const url = new URL(`alerts/${a.seq}/ack`, new URL(API, document.baseURI));
      const res = await truceSession.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note }) });
      const body = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(body.message || `HTTP ${res.status}`);
      applyAck(a.seq, body.ack);
    } catch (e) {
      msg.textContent = `Not acknowledged: ${e.message}`;
    }
  };
  return h('form', { class: 'ack-form', onsubmit: (e) => { e.preventDefault(); send(); } },
    input, h('button', { type: 'submit', 'data-testid': 'ack-button' }, 'Acknowledge'), msg);
}

/** An acknowledgement (ours, or another user's from the stream). */
function applyAck(seq, ack) {
  const a = alertState.list.find((x) => x.seq === seq);
  if (!a || !ack) return;
  a.ack = ack;
  a.acks = (a.acks || 0) + 1;
  renderAlerts();
}

async function loadAlerts() {
  const since = rfc3339(view.win.since || new Date(Date.now() - 31 * 86400 * 1000));
  const r = await getJson(`alerts?since=${encodeURIComponent(since)}&limit=1000`);
  for (const a of r.alerts || []) pushAlert(a);
}

// ---------------------------------------------------------------- live tracks (TAK, AIS, ADS-B) and geofence events

/* global ms */

const COT_AFFILIATION = { f: 'F', h: 'H', u: 'U', n: 'N', a: 'A', s: 'S', j: 'J', k: 'K', p: 'P' };
const COT_DIMENSIONS = new Set(['G', 'A', 'S', 'U', 'P', 'F', 'X']);

/**
 * The 15-letter MIL-STD-2525B SIDC of a CoT atom type: `a-f-G-U-C` → `SFGPUC---------`: 'S',
 * the affiliation, the battle dimension, 'P', the function letters padded to 6 with '-', then '-----'.
 * A type without a known dimension gives the affiliation's frame alone (dimension 'Z', unknown).
 */
function sidcFromCot(type) {
  const atoms = String(type || '').split('-');
  const aff = COT_AFFILIATION[atoms[1]] || 'U';
  const dim = atoms[0] === 'a' && COT_DIMENSIONS.has(atoms[2]) ? atoms[2] : null;
  if (!dim) return `S${aff}ZP-----------`;
  const fn = atoms.slice(3).join('').toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, 6).padEnd(6, '-');
  return `S${aff}${dim}P${fn}-----`;
}

// The same track stream carries three kinds of craft, each on a layer of its own: TAK devices'
// positions (anything else), vessels from AIS (uid `ais-<MMSI>`) and aircraft from ADS-B (uid
// `icao-<address>`). TAK tracks keep their callsign labels; vessels and aircraft are many, so they get
// their name on hover, a heading from their course and a trail of their last positions instead.
//
// Every track is drawn on one canvas (a Leaflet renderer in the `tracks` pane), not as a DOM marker: a
// common operational picture holds 10,000 tracks reporting once a second, and a marker per track
// (its element moved, its tooltip and trail path updated on every report) cannot keep up with that.
// One code path for every count: a dozen tracks cost nothing on a canvas, and two renderers would
// behave (and be tested) differently.
//  - A stream message only updates the track's entry in `tracks` (its position in Web Mercator
//    world units, its trail, the symbol it takes) and marks the picture dirty: no DOM work.
//  - The canvas is redrawn in an animation frame, at most every TRACK_REDRAW_MS while only data
//    changed (1 Hz reports need no more), at once when the view changed, never when nothing did.
//  - Symbols are milsymbol's, rendered once per (CoT type, kind, 5° heading) to an offscreen canvas
//    and stamped with drawImage; trails are one canvas path per layer; TAK callsigns are drawn
//    decluttered (a label whose box meets one already placed is skipped; the name shows on hover).
//  - Click (the popup) and hover (the name) are hit-tested in screen space against what the last
//    frame drew, through a grid of TRACK_CELL px cells, built only when the pointer asks.
// The three layers in the layer control are light switches for the canvas (`TrackKindLayer`).
const TRAIL_POINTS = 20;
const TRAIL_COLOURS = { sea: '#0b7285', air: '#6741d9' };
/** Below this speed (m/s, about 0.6 kn) a course is noise: no heading is drawn. */
const MIN_HEADING_SPEED = 0.3;
/** The least time between two redraws when only tracks moved (ms); raised to 4 × the last draw's time. */
const TRACK_REDRAW_MS = 250;
/** The side of a cell of the hit-testing and label grids (px). */
const TRACK_CELL = 32;
/** Symbol sizes (milsymbol's `size`): TAK units, and the smaller vessels and aircraft. */
const TRACK_SYMBOL_SIZE = { tak: 20, sea: 16, air: 16 };
const LABEL_FONT = '600 11px system-ui, -apple-system, "Segoe UI", sans-serif';
const LABEL_HEIGHT = 14;
/** Web Mercator's latitude limit (Leaflet's EPSG:3857). */
const MERCATOR_MAX_LAT = 85.0511287798;

function trackKind(uid) {
  if (uid.startsWith('ais-')) return 'sea';
  if (uid.startsWith('icao-')) return 'air';
  return 'tak';
}

/** The heading drawn for a track (degrees, rounded to 5°, so symbols can be shared), or null. */
function headingOf(t) {
  if (!isNum(t.course)) return null;
  if (isNum(t.speed) && Number(t.speed) < MIN_HEADING_SPEED) return null;
  return (Math.round(Number(t.course) / 5) * 5) % 360;
}

/** Web Mercator x and y of a position in world units (0 to 1, as Leaflet projects at zoom 0 / 256). */
const mercatorX = (lon) => (lon + 180) / 360;
function mercatorY(lat) {
  const s = Math.sin((Math.max(-MERCATOR_MAX_LAT, Math.min(MERCATOR_MAX_LAT, lat)) * Math.PI) / 180);
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
}

/** The worker that paints the track canvas (track-worker.js): the page decides a frame, it draws it. */
const trackPainter = new Worker(new URL('track-worker.js', import.meta.url));
const spriteCache = new Map();
/**
 * The symbol of a CoT type for a kind of track, with a heading arrow when `direction` is a number,
 * rendered once to an offscreen canvas at the device's pixel ratio: `{canvas, w, h, ax, ay, sidc}`, the
 * size and anchor in CSS pixels and the SIDC drawn.
 */
function trackSprite(type, kind, direction) {
  const size = TRACK_SYMBOL_SIZE[kind];
  const key = `${type}|${size}|${direction ?? ''}`;
  let sprite = spriteCache.get(key);
  if (sprite) return sprite;
  const ratio = Math.max(1, Math.ceil(window.devicePixelRatio || 1));
  let sidc = sidcFromCot(type);
  if (typeof ms === 'undefined') {
    // milsymbol did not load (vendor/milsymbol): a plain frame rather than no track.
    const canvas = document.createElement('canvas');
    canvas.width = 14 * ratio;
    canvas.height = 14 * ratio;
    const g = canvas.getContext('2d');
    g.scale(ratio, ratio);
    g.strokeStyle = '#343a40';
    g.lineWidth = 2;
    g.strokeRect(1, 1, 12, 12);
    sprite = { canvas, w: 14, h: 14, ax: 7, ay: 7, sidc };
  } else {
    const opts = { size, fill: true };
    if (direction != null) opts.direction = direction;
    let sym = new ms.Symbol(sidc, opts);
    if (!sym.isValid()) {
      sidc = `${sidc.slice(0, 4)}-----------`;
      sym = new ms.Symbol(sidc, opts);
    }
    const dim = sym.getSize();
    const anchor = sym.getAnchor();
    // Whole pixels: a symbol stamped at a fractional offset, or scaled, is resampled on every frame;
    // one at whole device pixels is a plain copy, several times cheaper.
    const canvas = sym.asCanvas(ratio);
    sprite = { canvas, w: canvas.width / ratio, h: canvas.height / ratio, ax: Math.round(anchor.x), ay: Math.round(anchor.y), sidc };
  }
  // The painter (track-worker.js) stamps it by its id: it gets the pixels once.
  sprite.id = spriteCache.size;
  const image = sprite.canvas.getContext('2d').getImageData(0, 0, sprite.canvas.width, sprite.canvas.height);
  trackPainter.postMessage({ type: 'sprite', id: sprite.id, w: sprite.w, h: sprite.h, image }, [image.data.buffer]);
  spriteCache.set(key, sprite);
  return sprite;
}

map.createPane('interference').style.zIndex = 380;
map.createPane('evidence').style.zIndex = 450;
// Above the observation markers (600), below tooltips (650) and popups (700); the pointer goes through
// it to the markers and the map, and the track under it is found by hit-testing (trackUnder).
map.createPane('tracks').style.zIndex = 610;
map.getPane('tracks').style.pointerEvents = 'none';

/** The view: the filter (in the URL) and what it selects; every layer, count and list follows it. */
const view = {
  filter: readFilter(),
  win: { since: null, until: null },
  defaultSince: null,
  stats: null, // GET stats with the filter
  generation: 0, // bumped by each reload; a slower earlier reload's answers are dropped
};

/** A layer-control switch for one kind of track: adding or removing it shows or hides that kind. */
const TrackKindLayer = L.Layer.extend({
  onAdd() { trackView?.viewChanged(); },
  onRemove() { trackView?.viewChanged(); },
});
/** The canvas (a TrackCanvas, made once the layers it reads exist). */
let trackView = null;

const trackLayer = new TrackKindLayer().addTo(map);
const seaLayer = new TrackKindLayer().addTo(map);
const airLayer = new TrackKindLayer().addTo(map);
const interferenceLayer = L.layerGroup().addTo(map);
const KIND_LAYER = { tak: trackLayer, sea: seaLayer, air: airLayer };
/** The observer's means (the filter's word) of each kind of track. */
const TRACK_MEANS = { tak: 'tak_device', sea: 'ship', air: 'aircraft' };
const layerControl = L.control.layers(null, {
  'Live tracks (TAK)': trackLayer,
  'Sea (AIS)': seaLayer,
  'Air (ADS-B)': airLayer,
  'GNSS interference (ADS-B)': interferenceLayer,
}, { collapsed: false, position: 'topright' }).addTo(map);

/** One live track: its last report, where it is in world units, the symbol it takes and its trail. */
class TrackEntry {
  constructor(track, kind) {
    this.track = track;
    this.kind = kind;
    this.timeMs = NaN;
    this.staleMs = NaN;
    this.mx = 0;
    this.my = 0;
    this.sprite = null;
    this.spriteType = null;
    this.spriteHeading = null;
    // Vessels and aircraft: the last TRAIL_POINTS positions (world units), a ring of x, y pairs.
    this.trail = kind === 'tak' ? null : new Float64Array(TRAIL_POINTS * 2);
    this.trailStart = 0;
    this.trailLength = 0;
    // Whether the report held passes the filter it was last judged against (judged again when either
    // changes: a frame of 10,000 tracks must not judge releasability 10,000 times).
    this.judgedTrack = null;
    this.judgedFilter = null;
    this.passes = false;
  }

  /** Whether the report held belongs to the filtered view `f` (filter.js trackMatches). */
  admitted(f) {
    if (this.judgedTrack !== this.track || this.judgedFilter !== f) {
      this.passes = trackMatches(this.track, f, MARKINGS, RELEASE);
      this.judgedTrack = this.track;
      this.judgedFilter = f;
    }
    return this.passes;
  }

  /** Takes a report: position, symbol and, for vessels and aircraft, a point of the trail. */
  take(t, timeMs, staleMs) {
    this.track = t;
    this.timeMs = timeMs;
    this.staleMs = staleMs;
    this.mx = mercatorX(t.lon);
    this.my = mercatorY(t.lat);
    const heading = this.kind === 'tak' ? null : headingOf(t);
    if (!this.sprite || t.type !== this.spriteType || heading !== this.spriteHeading) {
      this.sprite = trackSprite(t.type, this.kind, heading);
      this.spriteType = t.type;
      this.spriteHeading = heading;
    }
    if (!this.trail) return;
    const n = this.trailLength;
    const ring = this.trail;
    if (n) {
      const last = (this.trailStart + n - 1) % TRAIL_POINTS;
      if (ring[2 * last] === this.mx && ring[2 * last + 1] === this.my) return;
    }
    let i;
    if (n < TRAIL_POINTS) {
      i = (this.trailStart + n) % TRAIL_POINTS;
      this.trailLength = n + 1;
    } else {
      i = this.trailStart;
      this.trailStart = (i + 1) % TRAIL_POINTS;
    }
    ring[2 * i] = this.mx;
    ring[2 * i + 1] = this.my;
  }

  /** The geofence list opens a track's popup as it did when each track was a marker: `.marker.openPopup()`. */
  get marker() {
    return { openPopup: () => openTrackPopup(this) };
  }
}

const tracks = new Map(); // uid -> TrackEntry
const trackCounts = { tak: 0, sea: 0, air: 0 };
const matchedCounts = { tak: 0, sea: 0, air: 0 }; // of those, the filter takes (counted each frame)
const shownCounts = { tak: -1, sea: -1, air: -1, narrowed: null }; // what the panel says

/** Whether the filter's means take a kind of track (none given: every kind). */
function trackMeansTaken(kind) {
  const { means } = view.filter;
  return !means.length || means.includes(TRACK_MEANS[kind]);
}

function validTrack(t) {
  return t && typeof t.uid === 'string' && t.uid !== '' && isNum(t.lat) && isNum(t.lon) && String(t.type || '').startsWith('a-');
}

/** Words for the CoT types the AIS and ADS-B feeds give (docs/sea-air.md); others show the type alone. */
const CRAFT_TYPES = {
  'a-u-S-C': 'Military vessel',
  'a-n-S-X-L': 'Law enforcement vessel',
  'a-n-S-X-F': 'Fishing vessel',
  'a-n-S-X-R': 'Sailing or pleasure craft',
  'a-n-S-X-M-T': 'Tug',
  'a-n-S-X-M-P': 'Passenger vessel',
  'a-n-S-X-M-C': 'Cargo vessel',
  'a-n-S-X-M-O': 'Tanker',
  'a-n-S-X': 'Vessel',
  'a-n-A-C-F': 'Civil fixed-wing aircraft',
  'a-n-A-C-H': 'Civil rotorcraft',
  'a-n-A-C-L': 'Lighter-than-air craft',
  'a-u-A-M-F-Q': 'Unmanned aircraft',
};

const KNOTS_PER_MS = 3600 / 1852;
const FEET_PER_M = 1 / 0.3048;
/** CoT's "unknown" for `hae` and `ce` (a vessel's height, an aircraft without altitude). */
const COT_UNKNOWN = 9999999;
const knownHae = (t) => isNum(t.hae) && Math.abs(Number(t.hae)) < COT_UNKNOWN;

/** What identifies a vessel or aircraft: its MMSI or ICAO address (from the uid). */
function craftId(t, kind) {
  const id = t.uid.replace(/^(ais|icao)-/, '');
  return kind === 'air' ? id.toUpperCase() : id;
}

function craftName(t, kind) {
  return t.callsign || (kind === 'sea' ? `MMSI ${craftId(t, kind)}` : kind === 'air' ? `ICAO ${craftId(t, kind)}` : t.uid);
}

/** A record's label in words: "NATO RESTRICTED · REL TO NATO" (the default release when it names none). */
function labelText(r) {
  const codes = r.releasable_to?.length ? r.releasable_to : RELEASE?.default || [];
  return `${r.marking || 'UNMARKED'}${codes.length ? ` · REL TO ${codes.join(', ')}` : ''}`;
}

function trackPopup(t, kind) {
  const zones = (t.classification?.zones || []).map((z) => state.zoneNames.get(z)?.name || z);
  if (kind === 'tak') {
    const motion = isNum(t.speed) || isNum(t.course)
      ? `${isNum(t.speed) ? `${fmtNum(Number(t.speed) * 3.6, 0)} km/h` : '–'} · ${isNum(t.course) ? `${fmtNum(Number(t.course), 0)}°` : '–'}`
      : null;
    const rows = [
      ['Type', t.type],
      ['Time', t.time ? dtg(new Date(t.time)) : null],
      ['Speed · course', motion],
      ['Source', [t.source, t.group].filter(Boolean).join(' · ')],
      ['Zones', zones.length ? zones.join(', ') : 'none'],
      ['Sector', t.sector ? sectorName(t.sector) : null],
      ['Stale', t.stale ? dtg(new Date(t.stale)) : null],
      ['Label', labelText(t)],
    ];
    return popupFor(t.callsign || t.uid, rows.filter(([, v]) => v != null && v !== ''));
  }
  const rows = [
    [kind === 'sea' ? 'MMSI' : 'ICAO', craftId(t, kind)],
    ['Type', CRAFT_TYPES[t.type] ? `${CRAFT_TYPES[t.type]} (${t.type})` : t.type],
    ['Speed', isNum(t.speed) ? `${fmtNum(Number(t.speed) * KNOTS_PER_MS, 1)} kn` : null],
    ['Course', isNum(t.course) ? `${fmtNum(Number(t.course), 0)}°` : null],
    ['Altitude', kind === 'air' && knownHae(t) ? `${fmtNum(Number(t.hae) * FEET_PER_M, 0)} ft` : null],
    ['Position', `${fmtCoord(t.lat)}, ${fmtCoord(t.lon)}`],
    ['Time', t.time ? dtg(new Date(t.time)) : null],
    ['Source', [t.source, t.group].filter(Boolean).join(' · ')],
    ['Zones', zones.length ? zones.join(', ') : 'none'],
    ['Sector', t.sector ? sectorName(t.sector) : null],
    ['Stale', t.stale ? dtg(new Date(t.stale)) : null],
    ['Label', labelText(t)],
  ];
  return popupFor(craftName(t, kind), rows.filter(([, v]) => v != null && v !== ''));
}

// ---- the popup and the hover name: one of each, moved to whichever track they are about

const trackPopupLayer = L.popup({ offset: [0, -6] });
const trackHover = L.tooltip({ direction: 'top', offset: [0, -10], className: 'craft-label' });
const trackPopupState = { entry: null, shown: null };
trackPopupLayer.on('remove', () => { trackPopupState.entry = null; trackPopupState.shown = null; });

function openTrackPopup(entry) {
  if (!entry || tracks.get(entry.track.uid) !== entry) return;
  trackPopupState.entry = entry;
  trackPopupState.shown = entry.track;
  trackPopupLayer.setLatLng([entry.track.lat, entry.track.lon]).setContent(trackPopup(entry.track, entry.kind));
  if (!map.hasLayer(trackPopupLayer)) trackPopupLayer.openOn(map);
}

/** Keeps an open popup on its track and its figures current (in the frame, not per message). */
function refreshTrackPopup() {
  const { entry, shown } = trackPopupState;
  if (!entry) return;
  if (tracks.get(entry.track.uid) !== entry) {
    map.closePopup(trackPopupLayer);
    return;
  }
  if (entry.track !== shown) openTrackPopup(entry);
}

// ---- the canvas

/** A grid of boxes in layer pixels (cells of TRACK_CELL px): what is under a point, what a box meets. */
class BoxGrid {
  constructor(minX, minY, width, height) {
    this.minX = minX;
    this.minY = minY;
    this.cols = Math.max(1, Math.ceil(width / TRACK_CELL));
    this.rows = Math.max(1, Math.ceil(height / TRACK_CELL));
    this.cells = new Map(); // cell index -> [box index]
    this.boxes = []; // [x0, y0, x1, y1, payload]
  }

  forCells(x0, y0, x1, y1, fn) {
    const c0 = Math.max(0, Math.floor((x0 - this.minX) / TRACK_CELL));
    const c1 = Math.min(this.cols - 1, Math.floor((x1 - this.minX) / TRACK_CELL));
    const r0 = Math.max(0, Math.floor((y0 - this.minY) / TRACK_CELL));
    const r1 = Math.min(this.rows - 1, Math.floor((y1 - this.minY) / TRACK_CELL));
    for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) if (fn(r * this.cols + c) === false) return;
  }

  insert(x0, y0, x1, y1, payload) {
    const i = this.boxes.length;
    this.boxes.push([x0, y0, x1, y1, payload]);
    this.forCells(x0, y0, x1, y1, (cell) => {
      const list = this.cells.get(cell);
      if (list) list.push(i); else this.cells.set(cell, [i]);
    });
  }

  /** Whether a box meets one in the grid. */
  meets(x0, y0, x1, y1) {
    let hit = false;
    this.forCells(x0, y0, x1, y1, (cell) => {
      for (const i of this.cells.get(cell) || []) {
        const b = this.boxes[i];
        if (b[0] < x1 && x0 < b[2] && b[1] < y1 && y0 < b[3]) { hit = true; return false; }
      }
      return true;
    });
    return hit;
  }

  /** The payload of the last inserted box (the topmost drawn) containing the point, within `slack` px. */
  at(x, y, slack) {
    let best = -1;
    this.forCells(x, y, x, y, (cell) => {
      for (const i of this.cells.get(cell) || []) {
        const b = this.boxes[i];
        if (i > best && x >= b[0] - slack && x <= b[2] + slack && y >= b[1] - slack && y <= b[3] + slack) best = i;
      }
    });
    return best < 0 ? null : this.boxes[best][4];
  }
}

const labelWidths = new Map();
function labelWidth(ctx, text) {
  let w = labelWidths.get(text);
  if (w == null) {
    if (labelWidths.size > 50000) labelWidths.clear();
    w = ctx.measureText(text).width;
    labelWidths.set(text, w);
  }
  return w;
}

/**
 * The live-track canvas. Leaflet's Renderer gives it the viewport (padded by 10 %), the CSS transform
 * during zoom animations and a call to `_update` after each move or zoom. A frame is decided here, on the
 * main thread, as a display list (`frame`: what is drawn where, in layer pixels, and the placed labels),
 * and painted by the worker (`trackPainter`) on one of two offscreen canvases in turn; the frame's canvas
 * is shown, at the frame's place, when the worker says it is drawn. One frame is in flight at a time:
 * what changes meanwhile is drawn in the next.
 */
const TrackCanvas = L.Renderer.extend({
  options: { padding: 0.1, pane: 'tracks' },

  initialize(options) {
    L.Renderer.prototype.initialize.call(this, options);
    // What the last frame decided, in drawing order (layer px): what probes and hit-testing read.
    this.drawn = { entries: [], x: [], y: [], n: 0, bounds: null };
    this.labels = []; // the TAK labels the last frame placed: {uid, text}
    this.hitGrid = null; // built from `drawn` when the pointer first asks after a frame
    // draws and drawMs: deciding frames (the main thread's share); paints and paintMs: the worker's.
    this.stats = { draws: 0, drawMs: 0, lastDrawMs: 0, lastDrawAt: 0, applied: 0, paints: 0, paintMs: 0, lastPaintMs: 0 };
    this.dataDirty = false;
    this.frame = 0;
    this.timer = 0;
    this.gen = 0;
    this.inFlight = null; // the frame the worker is painting: {gen, bounds, center, zoom, size}
    this.queued = null; // a frame decided while another was in flight: sent when it is drawn
  },

  _initContainer() {
    const div = document.createElement('div');
    div.dataset.testid = 'track-canvas';
    this.canvases = [0, 1].map(() => {
      const c = document.createElement('canvas');
      c.style.position = 'absolute';
      c.style.left = '0';
      c.style.top = '0';
      c.style.visibility = 'hidden';
      div.appendChild(c);
      return c;
    });
    const offscreen = this.canvases.map((c) => c.transferControlToOffscreen());
    trackPainter.postMessage({ type: 'init', canvases: offscreen }, offscreen);
    this._container = div;
    // Labels are measured here (the worker only paints them).
    this._measure = document.createElement('canvas').getContext('2d');
    this._measure.font = LABEL_FONT;
  },

  _destroyContainer() {
    L.DomUtil.remove(this._container);
    delete this._container;
  },

  _updateTransform(center, zoom) {
    // Nothing is shown before the first frame is painted.
    if (this._center) L.Renderer.prototype._updateTransform.call(this, center, zoom);
  },

  _update() {
    if (this._map._animatingZoom && this._bounds) return;
    // The view moved: a frame for the new bounds. The canvas shown stays where it is, with the
    // transform Leaflet gives it for the view it was drawn for, until that frame is painted.
    this.draw();
  },

  /** Tracks moved: a frame soon, at most every TRACK_REDRAW_MS (longer when painting is slow). */
  dataChanged() {
    this.dataDirty = true;
    if (this.frame || this.timer || this.inFlight) return;
    const gap = Math.max(TRACK_REDRAW_MS, 4 * Math.max(this.stats.lastDrawMs, this.stats.lastPaintMs));
    const wait = gap - (performance.now() - this.stats.lastDrawAt);
    if (wait > 0) {
      this.timer = setTimeout(() => { this.timer = 0; this.queueFrame(); }, wait);
    } else {
      this.queueFrame();
    }
  },

  /** A layer was switched on or off, or the filter changed: a frame in the next animation frame. */
  viewChanged() {
    this.dataDirty = true;
    this.queueFrame();
  },

  queueFrame() {
    if (this.frame || !this._map) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (this.dataDirty) this.draw();
    });
  },

  /** Decides a frame for the current view and sends it to the painter (or queues it behind the one in flight). */
  draw() {
    const map = this._map;
    if (!map || !this._container) return;
    const t0 = performance.now();
    this.dataDirty = false;
    // The bounds as Leaflet's Renderer computes them (the view, padded), for this frame.
    const p = this.options.padding;
    const size = map.getSize();
    const bmin = map.containerPointToLayerPoint(size.multiplyBy(-p)).round();
    const b = L.bounds(bmin, bmin.add(size.multiplyBy(1 + p * 2)).round());
    const ratio = window.devicePixelRatio || 1;
    const scale = 256 * 2 ** map.getZoom();
    const origin = map.getPixelOrigin();
    const ox = origin.x;
    const oy = origin.y;
    const minX = b.min.x - 40;
    const minY = b.min.y - 40;
    const maxX = b.max.x + 40;
    const maxY = b.max.y + 40;
    // A kind is drawn when its layer is on and the filter's means take it; a track when its report is in
    // the filter's area and sector, at one of its classifications and releasable to its nation.
    const f = view.filter;
    const shown = {
      tak: map.hasLayer(trackLayer) && trackMeansTaken('tak'),
      sea: map.hasLayer(seaLayer) && trackMeansTaken('sea'),
      air: map.hasLayer(airLayer) && trackMeansTaken('air'),
    };
    // Without such a filter no track is judged (the usual case, and the cheapest frame).
    const judging = Boolean(f.area || f.sector || f.marking.length || f.nation);
    const outside = judging ? (e) => !e.admitted(f) : () => false;
    const perKind = { tak: 0, sea: 0, air: 0 };
    // The counts: the tracks held that the filter takes, in view or not, layer on or off.
    for (const k of ['tak', 'sea', 'air']) matchedCounts[k] = trackMeansTaken(k) && !judging ? trackCounts[k] : 0;
    if (judging) {
      for (const e of tracks.values()) if (trackMeansTaken(e.kind) && e.admitted(f)) matchedCounts[e.kind] += 1;
    }

    // Trails, one list per kind, below every symbol: canvas px (from the bounds' corner).
    const trails = { sea: 0, air: 0 };
    const trailLists = [];
    for (const kind of ['sea', 'air']) {
      if (!shown[kind]) continue;
      let points = new Float32Array(1024);
      let counts = new Uint16Array(64);
      let np = 0;
      let nt = 0;
      for (const e of tracks.values()) {
        if (e.kind !== kind || e.trailLength < 2 || outside(e)) continue;
        const ring = e.trail;
        let x0 = Infinity; let y0 = Infinity; let x1 = -Infinity; let y1 = -Infinity;
        for (let k = 0; k < e.trailLength; k++) {
          const i = (e.trailStart + k) % TRAIL_POINTS;
          const x = ring[2 * i] * scale - ox;
          const y = ring[2 * i + 1] * scale - oy;
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
        if (x1 < minX || x0 > maxX || y1 < minY || y0 > maxY) continue;
        // Under 2 px long it cannot be seen; a point within 1.5 px of the last one kept adds nothing.
        if (x1 - x0 + y1 - y0 < 2) continue;
        if (points.length < 2 * (np + TRAIL_POINTS)) {
          const bigger = new Float32Array(points.length * 2);
          bigger.set(points);
          points = bigger;
        }
        if (counts.length <= nt) {
          const bigger = new Uint16Array(counts.length * 2);
          bigger.set(counts);
          counts = bigger;
        }
        const start = np;
        let lx = NaN;
        let ly = NaN;
        for (let k = 0; k < e.trailLength; k++) {
          const i = (e.trailStart + k) % TRAIL_POINTS;
          const x = ring[2 * i] * scale - ox;
          const y = ring[2 * i + 1] * scale - oy;
          if (k > 0 && k < e.trailLength - 1 && Math.abs(x - lx) + Math.abs(y - ly) < 1.5) continue;
          points[2 * np] = x - b.min.x;
          points[2 * np + 1] = y - b.min.y;
          np += 1;
          lx = x;
          ly = y;
        }
        counts[nt] = np - start;
        nt += 1;
        trails[kind] += 1;
      }
      trailLists.push({ colour: TRAIL_COLOURS[kind], points: points.slice(0, 2 * np), counts: counts.slice(0, nt) });
    }

    // Symbols: vessels, then aircraft, then TAK units on top (hit-testing takes the last drawn).
    const drawn = this.drawn;
    let stamps = new Float32Array(3 * Math.min(Math.max(tracks.size, 16), 65536));
    let n = 0;
    for (const kind of ['sea', 'air', 'tak']) {
      if (!shown[kind]) continue;
      for (const e of tracks.values()) {
        if (e.kind !== kind || outside(e)) continue;
        const x = Math.round(e.mx * scale - ox);
        const y = Math.round(e.my * scale - oy);
        if (x < minX || x > maxX || y < minY || y > maxY) continue;
        const s = e.sprite;
        if (stamps.length < 3 * (n + 1)) {
          const bigger = new Float32Array(stamps.length * 2);
          bigger.set(stamps);
          stamps = bigger;
        }
        stamps[3 * n] = s.id;
        stamps[3 * n + 1] = x - s.ax - b.min.x;
        stamps[3 * n + 2] = y - s.ay - b.min.y;
        drawn.entries[n] = e;
        drawn.x[n] = x;
        drawn.y[n] = y;
        n += 1;
        perKind[kind] += 1;
      }
    }
    drawn.entries.length = n; // no reference kept to a track that was removed
    drawn.n = n;
    drawn.bounds = b;
    this.hitGrid = null;

    // TAK callsigns, decluttered: in drawing order, a label is placed unless it meets one placed.
    const labels = [];
    const boxes = [];
    const texts = [];
    if (shown.tak && perKind.tak) {
      const grid = new BoxGrid(b.min.x, b.min.y, b.max.x - b.min.x, b.max.y - b.min.y);
      for (let i = n - perKind.tak; i < n; i++) {
        const e = drawn.entries[i];
        const text = String(e.track.callsign || e.track.uid);
        const w = labelWidth(this._measure, text) + 6;
        const x0 = drawn.x[i] + e.sprite.w - e.sprite.ax + 2;
        const y0 = drawn.y[i] - LABEL_HEIGHT / 2;
        if (x0 > b.max.x || y0 > b.max.y || x0 + w < b.min.x || y0 + LABEL_HEIGHT < b.min.y) continue;
        if (grid.meets(x0, y0, x0 + w, y0 + LABEL_HEIGHT)) continue;
        grid.insert(x0, y0, x0 + w, y0 + LABEL_HEIGHT, null);
        boxes.push(x0 - b.min.x, y0 - b.min.y, w, LABEL_HEIGHT);
        texts.push(text);
        labels.push({ uid: e.track.uid, text });
      }
    }
    this.labels = labels;

    const c = this._container;
    c.dataset.count = String(n);
    c.dataset.tak = String(perKind.tak);
    c.dataset.sea = String(perKind.sea);
    c.dataset.air = String(perKind.air);
    c.dataset.trailsSea = String(trails.sea);
    c.dataset.trailsAir = String(trails.air);
    c.dataset.labels = String(labels.length);
    renderTrackCount();
    refreshTrackPopup();

    this.gen += 1;
    const bsize = b.getSize();
    this.send({
      type: 'frame',
      gen: this.gen,
      width: Math.round(ratio * bsize.x),
      height: Math.round(ratio * bsize.y),
      ratio,
      trails: trailLists,
      stamps: stamps.slice(0, 3 * n),
      labels: { boxes: new Float32Array(boxes), texts },
      font: LABEL_FONT,
    }, { bounds: b, center: map.getCenter(), zoom: map.getZoom(), size: bsize });
    const took = performance.now() - t0;
    this.stats.draws += 1;
    this.stats.drawMs += took;
    this.stats.lastDrawMs = took;
    this.stats.lastDrawAt = performance.now();
  },

  /** Sends a frame to the painter, or keeps it (the latest only) until the frame in flight is drawn. */
  send(msg, place) {
    if (this.inFlight) {
      this.queued = { msg, place };
      return;
    }
    msg.target = msg.gen % 2;
    this.inFlight = { gen: msg.gen, target: msg.target, ...place };
    const transfer = [msg.stamps.buffer, msg.labels.boxes.buffer];
    for (const t of msg.trails) transfer.push(t.points.buffer, t.counts.buffer);
    trackPainter.postMessage(msg, transfer);
  },

  /** The painter drew a frame: show its canvas at its place, then send what was decided meanwhile. */
  painted({ gen, ms }) {
    const f = this.inFlight;
    if (!f || f.gen !== gen) return;
    this.inFlight = null;
    this.stats.paints += 1;
    this.stats.paintMs += ms;
    this.stats.lastPaintMs = ms;
    if (this._container) {
      // The frame's place becomes the renderer's: Leaflet's zoom transforms are taken from it from now on.
      this._bounds = f.bounds;
      this._center = f.center;
      this._zoom = f.zoom;
      L.DomUtil.setPosition(this._container, f.bounds.min);
      // Painted during a zoom animation: the transform toward the animation's end, from the new frame.
      const m = this._map;
      if (m?._animatingZoom) this._updateTransform(m._animateToCenter, m._animateToZoom);
      const shown = this.canvases[f.target];
      shown.style.width = `${f.size.x}px`;
      shown.style.height = `${f.size.y}px`;
      shown.style.visibility = 'visible';
      this.canvases[1 - f.target].style.visibility = 'hidden';
      this._container.dataset.painted = String(gen);
    }
    if (this.queued) {
      const { msg, place } = this.queued;
      this.queued = null;
      this.send(msg, place);
    } else if (this.dataDirty) {
      this.dataChanged();
    }
  },

  /** The track drawn under a container point (within 3 px of its symbol), or null. */
  trackUnder(containerPoint) {
    if (!this._map || !this.drawn.n) return null;
    if (!this.hitGrid) {
      const { entries, x, y, n, bounds: b } = this.drawn;
      const grid = new BoxGrid(b.min.x, b.min.y, b.max.x - b.min.x, b.max.y - b.min.y);
      for (let i = 0; i < n; i++) {
        const s = entries[i].sprite;
        grid.insert(x[i] - s.ax, y[i] - s.ay, x[i] - s.ax + s.w, y[i] - s.ay + s.h, entries[i]);
      }
      this.hitGrid = grid;
    }
    const p = this._map.containerPointToLayerPoint(containerPoint);
    const e = this.hitGrid.at(p.x, p.y, 3);
    return e && tracks.get(e.track.uid) === e ? e : null;
  },

  /** Where the last frame drew a track: its container point, or null. */
  drawnAt(uid) {
    const { entries, x, y, n } = this.drawn;
    for (let i = 0; i < n; i++) {
      if (entries[i].track.uid === uid) return this._map.layerPointToContainerPoint([x[i], y[i]]);
    }
    return null;
  },
});

trackPainter.onmessage = (ev) => { if (ev.data?.type === 'drawn') trackView.painted(ev.data); };
trackPainter.onerror = (ev) => { console.error(`track painter: ${ev.message}`); };
trackView = new TrackCanvas();
trackView.addTo(map);

// Click and hover: the pane lets the pointer through, so the map container is asked first (capture
// phase) whether a track is under it; a click on one opens its popup and goes no further (tracks are
// drawn above the observations, as their markers were).
{
  const container = map.getContainer();
  const onMapArea = (ev) => !ev.target.closest?.('.leaflet-control-container, .leaflet-popup-pane, .leaflet-tooltip-pane');
  let down = null;
  container.addEventListener('pointerdown', (ev) => { down = [ev.clientX, ev.clientY]; }, true);
  container.addEventListener('click', (ev) => {
    if (!onMapArea(ev)) return;
    // A drag of the map ends in a click too: not a click on a track.
    if (down && Math.hypot(ev.clientX - down[0], ev.clientY - down[1]) > 4) return;
    const e = trackView.trackUnder(map.mouseEventToContainerPoint(ev));
    if (!e) return;
    ev.stopImmediatePropagation();
    ev.preventDefault();
    openTrackPopup(e);
  }, true);
  let hoverAt = null;
  let hoverFrame = 0;
  let hovered = null;
  const hover = () => {
    hoverFrame = 0;
    const e = hoverAt && trackView.trackUnder(hoverAt);
    container.style.cursor = e ? 'pointer' : '';
    if (e === hovered && (!e || trackHover.getContent() === craftName(e.track, e.kind))) return;
    hovered = e;
    if (!e) {
      trackHover.remove();
      return;
    }
    trackHover.setLatLng([e.track.lat, e.track.lon]).setContent(craftName(e.track, e.kind));
    if (!map.hasLayer(trackHover)) trackHover.addTo(map);
  };
  container.addEventListener('mousemove', (ev) => {
    hoverAt = onMapArea(ev) ? map.mouseEventToContainerPoint(ev) : null;
    if (!hoverFrame) hoverFrame = requestAnimationFrame(hover);
  }, { passive: true });
  container.addEventListener('mouseleave', () => {
    hoverAt = null;
    if (!hoverFrame) hoverFrame = requestAnimationFrame(hover);
  });
  map.on('movestart zoomstart', () => { hovered = null; trackHover.remove(); });
}

/** Takes a track report: updates its entry and marks the picture dirty; an older report than the one held is ignored. */
function upsertTrack(t) {
  if (takeTrack(t, Date.now())) trackView.dataChanged();
}

/** Takes many track reports in one pass (a stream batch, every track fetched): one clock read, one redraw request. */
function upsertTracks(list) {
  const now = Date.now();
  let taken = 0;
  for (const t of list) if (takeTrack(t, now)) taken += 1;
  if (taken) trackView.dataChanged();
}

/** Updates a track's entry with a report unless the report is invalid, stale at `now` or older than the one held. */
function takeTrack(t, now) {
  if (!validTrack(t)) return false;
  const staleMs = Date.parse(t.stale);
  if (staleMs <= now) return false;
  const timeMs = Date.parse(t.time);
  t.lat = Number(t.lat);
  t.lon = Number(t.lon);
  let e = tracks.get(t.uid);
  if (e) {
    if (e.timeMs > timeMs) return false;
  } else {
    e = new TrackEntry(t, trackKind(t.uid));
    tracks.set(t.uid, e);
    trackCounts[e.kind] += 1;
  }
  e.take(t, timeMs, staleMs);
  trackView.stats.applied += 1;
  return true;
}

/**
 * The panel's counts of the tracks the filter takes (the last frame's count), "12 of 40" while the
 * filter narrows them.
 */
function renderTrackCount() {
  const n = matchedCounts;
  const narrow = narrowed(view.filter);
  const of = (k) => (narrow ? `${n[k]} of ${trackCounts[k]}` : `${n[k]}`);
  const changed = (k) => n[k] !== shownCounts[k] || narrow !== shownCounts.narrowed || (narrow && trackCounts[k] !== shownCounts[`all_${k}`]);
  if (changed('tak')) $('tracks-count').textContent = `${of('tak')} live track${n.tak === 1 && !narrow ? '' : 's'}`;
  if (changed('sea')) $('sea-count').textContent = `${of('sea')} vessel${n.sea === 1 && !narrow ? '' : 's'}`;
  if (changed('air')) $('air-count').textContent = `${of('air')} aircraft`;
  Object.assign(shownCounts, n, { narrowed: narrow, all_tak: trackCounts.tak, all_sea: trackCounts.sea, all_air: trackCounts.air });
}

/** Removes the tracks (with their trails) whose stale time has passed. */
function pruneTracks() {
  const now = Date.now();
  let removed = 0;
  for (const [uid, e] of tracks) {
    if (!(e.staleMs > now)) {
      tracks.delete(uid);
      trackCounts[e.kind] -= 1;
      removed += 1;
    }
  }
  if (removed) trackView.dataChanged();
}
setInterval(pruneTracks, 5000);

/**
 * The least time between two fetches of every track (ms). A resync after `lagged` asks for them again,
 * and a stream busy enough to lag says so every second or two: 10,000 tracks fetched and applied each
 * time would keep the page busy, while tracks reporting every second correct themselves anyway.
 */
const TRACK_RELOAD_MS = 10_000;
const trackLoad = { pending: null, at: 0 };

/** Every live track (GET tracks), unless a fetch is under way (its promise) or one ended under TRACK_RELOAD_MS ago. */
function loadTracks() {
  if (trackLoad.pending) return trackLoad.pending;
  if (trackLoad.at && Date.now() - trackLoad.at < TRACK_RELOAD_MS) return Promise.resolve();
  trackLoad.pending = getJson('tracks').then((r) => {
    upsertTracks(r.tracks || []);
  }).finally(() => {
    trackLoad.at = Date.now();
    trackLoad.pending = null;
  });
  return trackLoad.pending;
}

/** The tracks held for one layer, for tests. */
function tracksOf(kind) {
  return [...tracks.values()].filter((e) => e.kind === kind).map(({ track: t, trailLength }) => ({
    uid: t.uid, type: t.type, callsign: t.callsign, lat: t.lat, lon: t.lon,
    course: t.course ?? null, speed: t.speed ?? null, hae: knownHae(t) ? Number(t.hae) : null, trail: trailLength,
  }));
}

/** What tests and the map benchmark ask of the track canvas (spread into window.truceMap). */
const trackProbes = {
  /** What the last frame drew: `{uid, layer, sidc, x, y}` (container px), in drawing order. */
  drawnTracks: () => {
    const { entries, x, y, n } = trackView.drawn;
    const out = [];
    for (let i = 0; i < n; i++) {
      const p = map.layerPointToContainerPoint([x[i], y[i]]);
      out.push({ uid: entries[i].track.uid, layer: entries[i].kind, sidc: entries[i].sprite.sidc, x: p.x, y: p.y });
    }
    return out;
  },
  /**
   * Where a track is on screen: `{x, y}` in the map container and `{pageX, pageY}` in the page (to click
   * it), `drawn` whether the last frame drew it there; null for a uid the map does not hold.
   */
  trackAt: (uid) => {
    const e = tracks.get(uid);
    if (!e) return null;
    const at = trackView.drawnAt(uid);
    const p = at || map.latLngToContainerPoint([e.track.lat, e.track.lon]);
    const r = map.getContainer().getBoundingClientRect();
    return { x: p.x, y: p.y, pageX: r.left + p.x, pageY: r.top + p.y, drawn: Boolean(at) };
  },
  /** The TAK labels the last frame placed: `{uid, text}`. */
  trackLabels: () => trackView.labels.map((l) => ({ ...l })),
  /** Counters: reports applied, frames drawn and their time (ms), tracks held. */
  trackStats: () => ({ ...trackView.stats, held: tracks.size, drawn: trackView.drawn.n }),
  /** Draws now (tests: what the canvas shows after a change, without waiting for the next frame). */
  drawTracks: () => trackView.draw(),
};

// ---------------------------------------------------------------- sea and air detections

const DETECTOR_NAMES = {
  going_dark: 'Going dark',
  spoof_jump: 'Impossible jump (spoofing)',
  spoof_cluster: 'Spoofing cluster',
  spoof_circle: 'Crop-circle spoofing',
  encounter: 'Encounter at sea',
  loitering: 'Loitering',
  gnss_interference: 'GNSS interference',
  emergency_squawk: 'Emergency squawk',
};
const DETECTIONS_SHOWN = 100;
const detectionState = { list: [], keys: new Set(), selected: null, loaded: false, available: true };
const evidenceLayer = L.layerGroup().addTo(map);

const detectionKey = (d) => `${d.detector}|${d.time}|${(d.tracks || []).map((t) => `${t.kind}:${t.id}`).join(',')}`;
const lonLat = (p) => (Array.isArray(p) && isNum(p[0]) && isNum(p[1]) ? [Number(p[1]), Number(p[0])] : null);

function validDetection(d) {
  return d && typeof d.detector === 'string' && typeof d.time === 'string';
}

/** Adds a detection to the list (newest first); one already listed is ignored. */
/**
 * `render(fresh)` once in the next animation frame however often it is asked for meanwhile, with the
 * latest fresh item's key (the one to highlight) asked for, or null.
 */
function oncePerFrame(render) {
  let frame = 0;
  let fresh = null;
  return (key) => {
    if (key) fresh = key;
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      const k = fresh;
      fresh = null;
      render(k);
    });
  };
}

/** As the geofence list (renderGeofenceSoon): drawn once per animation frame, however many came. */
const renderDetectionsSoon = oncePerFrame(renderDetections);

function pushDetection(d, fresh = false) {
  if (!validDetection(d)) return;
  const key = detectionKey(d);
  if (detectionState.keys.has(key)) return;
  detectionState.keys.add(key);
  detectionState.list.push({ ...d, key });
  detectionState.list.sort((x, y) => Date.parse(y.time) - Date.parse(x.time));
  for (const old of detectionState.list.splice(DETECTIONS_SHOWN)) detectionState.keys.delete(old.key);
  renderDetectionsSoon(fresh ? key : null);
  // An interference detection means new cells: fetch them now rather than at the next refresh.
  if (fresh && d.detector === 'gnss_interference') scheduleInterference(2000);
}

/** The track uid of a detection's craft (`{kind, id}`): `ais-<9-digit MMSI>` or `icao-<6 hex digits>`. */
const craftUid = (t) => (t.kind === 'aircraft'
  ? `icao-${Number(t.id).toString(16).padStart(6, '0')}` : `ais-${String(t.id).padStart(9, '0')}`);
/** "MMSI 273456789" or "ICAO 4CA7B1". */
const craftLabel = (t) => (t.kind === 'aircraft'
  ? `ICAO ${Number(t.id).toString(16).padStart(6, '0').toUpperCase()}` : `MMSI ${String(t.id).padStart(9, '0')}`);

/** The names of a detection's craft as the map knows them ("NAME (MMSI 273…)"), for the list. */
function detectionCraft(d) {
  return (d.tracks || []).map((t) => {
    const known = tracks.get(craftUid(t))?.track.callsign;
    return known ? `${known} (${craftLabel(t)})` : craftLabel(t);
  }).join(', ');
}

/** The filter's word for the means of a detection's craft (`{kind}`: vessel or aircraft). */
const CRAFT_MEANS = { vessel: 'ship', aircraft: 'aircraft' };

/**
 * A detection in the view: in its time window, about a craft whose means the filter takes, and, at its
 * place (`lat`, `lon`: the server's), in the area and sector, at one of the classifications and
 * releasable to the nation, as a track's report would be.
 */
function detectionInView(d) {
  const t = Date.parse(d.time);
  const { since, until } = view.win;
  if ((since && t < since.getTime()) || (until && t >= until.getTime())) return false;
  const { means } = view.filter;
  if (means.length && !(d.tracks || []).some((c) => means.includes(CRAFT_MEANS[c.kind]))) return false;
  return trackMatches(d, view.filter, MARKINGS, RELEASE);
}

function renderDetections(freshKey) {
  const ul = $('detections');
  if (!detectionState.list.length) {
    if (detectionState.loaded || !detectionState.available) ul.replaceChildren(h('li', { class: 'muted none' }, 'none'));
    return;
  }
  const shown = detectionState.list.filter(detectionInView);
  if (!shown.length) {
    ul.replaceChildren(h('li', { class: 'muted none' }, 'No detections in the view.'));
    return;
  }
  ul.replaceChildren(...shown.map((d) => {
    const craft = detectionCraft(d);
    return h('li', {
      'data-detector': d.detector, 'data-key': d.key, tabindex: '0',
      class: [d.key === freshKey ? 'fresh' : '', d.key === detectionState.selected ? 'selected' : ''].filter(Boolean).join(' '),
      title: Object.entries(d.figures || {}).map(([k, v]) => `${k}: ${v == null ? '—' : fmtNum(v, 2)}`).join('\n'),
      onclick: () => selectDetection(d.key),
      onkeydown: (e) => { if (e.key === 'Enter') selectDetection(d.key); },
    },
    h('div', null, h('b', null, DETECTOR_NAMES[d.detector] || humanize(d.detector)), ' ',
      h('span', { class: 'muted' }, dtg(new Date(d.time)))),
    craft ? h('div', { class: 'craft' }, craft) : null,
    h('div', { class: 'summary' }, d.summary || ''));
  }));
}

function evidenceTooltip(f) {
  const parts = [craftLabel(f), dtg(new Date(f.time))];
  if (isNum(f.speed_kn)) parts.push(`${fmtNum(f.speed_kn, 1)} kn`);
  if (isNum(f.course_deg)) parts.push(`${fmtNum(f.course_deg, 0)}°`);
  if (isNum(f.altitude_ft)) parts.push(`${fmtNum(f.altitude_ft, 0)} ft`);
  if (f.squawk != null) parts.push(`squawk ${f.squawk}`);
  if (f.nic != null || f.nacp != null) parts.push(`NIC ${f.nic ?? '—'} NACp ${f.nacp ?? '—'}`);
  return parts.join(' · ');
}

/**
 * Shows a detection: its evidence (the fixes as small circles joined by a dashed line, the cell of an
 * area) replaces the previous one's, and the map goes to its area, else its first fix.
 */
function selectDetection(key) {
  const d = detectionState.list.find((x) => x.key === key);
  if (!d) return false;
  detectionState.selected = key;
  evidenceLayer.clearLayers();
  const fixes = (d.evidence || []).map((f) => ({ f, at: lonLat(f.position) })).filter((x) => x.at);
  const cls = `evidence-${d.detector}`;
  const points = fixes.map((x) => x.at);
  if (points.length >= 2) {
    L.polyline(points, { pane: 'evidence', className: `evidence-line ${cls}`, color: EVIDENCE_COLOUR, weight: 2, dashArray: '6 5', interactive: false })
      .addTo(evidenceLayer);
  }
  for (const { f, at } of fixes) {
    L.circleMarker(at, { pane: 'evidence', className: `evidence-fix ${cls}`, color: EVIDENCE_COLOUR, fillColor: '#fff', radius: 5, weight: 2, fillOpacity: 0.8 })
      .bindTooltip(evidenceTooltip(f))
      .addTo(evidenceLayer);
  }
  const cell = d.area?.cell;
  const point = lonLat(d.area?.point);
  let bounds = null;
  if (cell && [cell.west, cell.south, cell.east, cell.north].every(isNum)) {
    bounds = L.latLngBounds([cell.south, cell.west], [cell.north, cell.east]);
    L.rectangle(bounds, { pane: 'evidence', className: `evidence-cell ${cls}`, color: EVIDENCE_COLOUR, weight: 2, dashArray: '4 4', fill: false, interactive: false })
      .addTo(evidenceLayer);
  }
  if (point) {
    L.circleMarker(point, { pane: 'evidence', className: `evidence-area ${cls}`, color: EVIDENCE_COLOUR, radius: 9, weight: 2, fill: false, interactive: false })
      .addTo(evidenceLayer);
  }
  const all = [...points, ...(point ? [point] : [])];
  if (bounds) {
    for (const p of all) bounds.extend(p);
    map.fitBounds(bounds, { padding: [80, 80], maxZoom: 10 });
  } else if (all.length >= 2) {
    map.fitBounds(L.latLngBounds(all), { padding: [80, 80], maxZoom: 10 });
  } else if (all.length === 1) {
    map.setView(all[0], Math.max(map.getZoom(), 9));
  }
  for (const li of $('detections').children) li.classList.toggle('selected', li.dataset.key === key);
  return true;
}

async function loadDetections() {
  try {
    const r = await getJson('detections');
    for (const d of r.detections || []) pushDetection(d);
  } catch (e) {
    // A server without the sea and air detectors: no detections, not an error.
    if (e.status !== 404) throw e;
    detectionState.available = false;
  }
  detectionState.loaded = true;
  renderDetections(null);
}

// ---------------------------------------------------------------- GNSS interference

const INTERFERENCE_REFRESH_MS = 60_000;
/** While there is no cell (a feed that has just started), sooner. */
const INTERFERENCE_EMPTY_REFRESH_MS = 15_000;
const INTERFERENCE_LEVELS = ['low', 'some', 'high'];
/** gpsjam.org's colours: green, yellow, red. */
const INTERFERENCE_COLOURS = { low: '#37b24d', some: '#fcc419', high: '#f03e3e' };
const EVIDENCE_COLOUR = '#c2255c';
const interferenceState = { features: [], cells: [], available: true, timer: null };

function interferencePopup(p) {
  return popupFor(`GNSS interference: ${p.level}`, [
    ['Aircraft', fmtNum(p.aircraft, 0)],
    ['Degraded', fmtNum(p.degraded, 0)],
    ['Share', isNum(p.share) ? `${fmtNum(Number(p.share) * 100, 1)} %` : '—'],
    ['Window', p.window_start ? `${dtg(new Date(p.window_start))} + ${fmtNum((p.window_s ?? 300) / 60, 0)} min` : '—'],
  ]);
}

/** The cells of the recent windows, coloured by level (replacing the previous ones). */
async function loadInterference() {
  if (!interferenceState.available) return;
  let fc;
  try {
    fc = await getJson('interference');
  } catch (e) {
    if (e.status === 404) {
      // A server without the ADS-B interference map: nothing to draw, not an error.
      interferenceState.available = false;
      $('interference-count').textContent = 'none';
      return;
    }
    throw e;
  }
  if (!fc || !Array.isArray(fc.features)) throw new Error('GET /api/v1/interference: not a FeatureCollection');
  interferenceState.features = fc.features.filter((x) => x?.geometry);
  renderInterference();
}

/**
 * A cell in the view, as an aircraft's report at its centre in its window would be: the filter's means
 * take aircraft, and the centre is in the area and sector, the cell's label at one of the
 * classifications and releasable to the nation.
 */
function cellInView(f) {
  const p = f.properties || {};
  if (!trackMeansTaken('air')) return false;
  const ring = f.geometry?.coordinates?.[0] || [];
  const lons = ring.map((c) => Number(c[0]));
  const lats = ring.map((c) => Number(c[1]));
  const at = { lat: (Math.min(...lats) + Math.max(...lats)) / 2, lon: (Math.min(...lons) + Math.max(...lons)) / 2 };
  return trackMatches({ ...at, time: p.window_start, sector: p.sector, marking: p.marking, releasable_to: p.releasable_to },
    view.filter, MARKINGS, RELEASE);
}

/** Draws the cells the view's filter takes (replacing the previous ones). */
function renderInterference() {
  const cells = [];
  interferenceLayer.clearLayers();
  // Higher levels drawn last, on top.
  const rank = (f) => INTERFERENCE_LEVELS.indexOf(f.properties?.level);
  for (const f of interferenceState.features.filter(cellInView).sort((a, b) => rank(a) - rank(b))) {
    const p = f.properties || {};
    const level = INTERFERENCE_LEVELS.includes(p.level) ? p.level : 'low';
    const layer = L.geoJSON(f, {
      pane: 'interference',
      style: {
        className: `interference-cell level-${level}`, color: INTERFERENCE_COLOURS[level], weight: 0.6, opacity: 0.8,
        fillColor: INTERFERENCE_COLOURS[level], fillOpacity: level === 'low' ? 0.25 : 0.4,
      },
    });
    layer.eachLayer((l) => {
      l.bindPopup(() => interferencePopup(p));
      l.on('add', () => {
        const el = l.getElement?.();
        if (el) {
          el.dataset.testid = 'interference-cell';
          el.dataset.level = level;
        }
      });
    });
    layer.addTo(interferenceLayer);
    cells.push({ level, share: p.share ?? null, aircraft: p.aircraft ?? null, degraded: p.degraded ?? null, window_start: p.window_start ?? null });
  }
  interferenceState.cells = cells;
  const n = { low: 0, some: 0, high: 0 };
  for (const c of cells) n[c.level] += 1;
  $('interference-count').textContent = cells.length
    ? `${n.high} high · ${n.some} some · ${n.low} low`
    : 'no cells';
}

function refreshInterference() {
  return loadInterference()
    .then(() => setStatus('interference', null), (e) => setStatus('interference', `GNSS interference: ${e.message}`));
}

/**
 * The next refresh in `ms`: by default every minute, every 15 s while no cell is drawn; sooner after an
 * interference detection.
 */
function scheduleInterference(ms) {
  clearTimeout(interferenceState.timer);
  const delay = ms ?? (interferenceState.features.length ? INTERFERENCE_REFRESH_MS : INTERFERENCE_EMPTY_REFRESH_MS);
  interferenceState.timer = setTimeout(async () => {
    await refreshInterference();
    scheduleInterference();
  }, delay);
}

// ---------------------------------------------------------------- geofence events

const GEOFENCE_SHOWN = 50;
const geofenceState = { list: [], ids: new Set(), next: 0 };

/** Adds a geofence event to the list (newest first). */
function pushGeofence(g, fresh = false) {
  if (!g || typeof g.id !== 'string' || geofenceState.ids.has(g.id)) return;
  geofenceState.ids.add(g.id);
  geofenceState.list.push(g);
  geofenceState.list.sort((x, y) => Date.parse(y.time) - Date.parse(x.time) || (y.seq ?? Infinity) - (x.seq ?? Infinity));
  for (const old of geofenceState.list.splice(GEOFENCE_SHOWN)) geofenceState.ids.delete(old.id);
  renderGeofenceSoon(fresh ? g.id : null);
}

/**
 * The list and its markers are drawn once per animation frame, however many events came: 10,000 moving
 * tracks bring hundreds of events a second, and a catch-up up to 10,000 at once, and drawing the list and
 * the markers again for each one kept the page's main thread full (scripts/bench-map through the server).
 */
const renderGeofenceSoon = oncePerFrame(renderGeofence);

/**
 * A geofence event in the view: in its time window, of a kind of track the filter's means take, and, as
 * its track's report would be (filter.js trackMatches), in the area and sector, at one of the
 * classifications and releasable to the nation.
 */
function geofenceInView(g) {
  const t = Date.parse(g.time);
  const { since, until } = view.win;
  if ((since && t < since.getTime()) || (until && t >= until.getTime())) return false;
  if (!trackMeansTaken(trackKind(g.uid))) return false;
  return isNum(g.lat) && isNum(g.lon) && trackMatches(g, view.filter, MARKINGS, RELEASE);
}

/**
 * The coalition's deployment plan (the first one imported) as a layer, off at start and loaded the first
 * time it is switched on: each deployment as its APP-6 symbol with a popup in words, patrol areas dashed;
 * the coalition page has the plan's findings and the whole picture.
 */
const planLayer = L.layerGroup();
const planState = { loading: null, units: 0 };
planLayer.on('add', () => {
  planState.loading ??= loadPlanLayer().catch((e) => { planState.loading = null; setStatus('plan', `Coalition plan: ${e.message}`); });
});

async function loadPlanLayer() {
  const { plans } = await getJson('plans');
  if (!plans?.length) { setStatus('plan', 'No coalition plan imported.'); return; }
  const fc = await getJson(`plans/${encodeURIComponent(plans[0].id)}`);
  for (const f of fc.features || []) {
    const p = f.properties || {};
    if (p.layer === 'area') {
      L.geoJSON(f, { style: { color: '#0b7285', weight: 1.5, dashArray: '5 4', fillOpacity: 0.06 } })
        .bindTooltip(`${p.unit}: patrol area`, { sticky: true }).addTo(planLayer);
      continue;
    }
    const [lon, lat] = f.geometry?.coordinates || [];
    if (!isNum(lat) || !isNum(lon)) continue;
    const sym = new ms.Symbol(p.sidc, { size: 18 });
    const size = sym.getSize();
    const anchor = sym.getAnchor();
    const icon = L.divIcon({ className: 'plan-icon', html: sym.asSVG(), iconSize: [size.width, size.height], iconAnchor: [anchor.x, anchor.y] });
    L.marker([lat, lon], { icon, title: `${p.unit} (${p.nation})`, keyboard: false })
      .bindPopup(() => h('div', { 'data-testid': 'plan-popup' }, h('b', null, p.unit), h('div', null, p.name || ''),
        h('div', null, `${p.nation}, ${p.domain}: ${p.type}${p.strength ? `, ${Number(p.strength).toLocaleString('en-GB')} personnel` : ''}`),
        h('div', null, `${p.place_name ? `at ${p.place_name}, ` : ''}from ${p.from}${p.until ? ` until ${p.until}` : ''}`),
        h('a', { href: 'coalition.html' }, `Plan ${plans[0].id} on the coalition page`)))
      .addTo(planLayer);
    planState.units += 1;
  }
  setStatus('plan', null);
}

/** The geofence events of the view as a layer: a ring where each happened, coloured by its kind. */
const GEOFENCE_COLOURS = { enter: '#d6336c', inside: '#f59f00', exit: '#2e7d32', cross: '#7048e8' };
const geofenceLayer = L.layerGroup().addTo(map);
const geofenceRenderer = L.canvas({ padding: 0.2 });
function drawGeofence(shown) {
  geofenceLayer.clearLayers();
  for (const g of shown) {
    if (!isNum(g.lat) || !isNum(g.lon)) continue;
    L.circleMarker([Number(g.lat), Number(g.lon)], {
      renderer: geofenceRenderer, radius: 6, weight: 2, color: GEOFENCE_COLOURS[g.kind] || '#495057', fillOpacity: 0.1,
    }).bindTooltip(`${g.callsign || g.uid}: ${g.kind} ${g.fence_name || g.fence_id}, ${dtg(new Date(g.time))}`).addTo(geofenceLayer);
  }
  geofenceLayer.shown = geofenceLayer.getLayers().length;
}

function renderGeofence(freshId) {
  if (!geofenceState.list.length) return;
  const shown = geofenceState.list.filter(geofenceInView);
  drawGeofence(shown);
  if (!shown.length) {
    $('geofence-events').replaceChildren(h('li', { class: 'muted' }, 'No geofence events in the view.'));
    return;
  }
  $('geofence-events').replaceChildren(...shown.map((g) => {
    const sides = g.from_side || g.to_side ? ` (${partyName(g.from_side) || '?'} → ${partyName(g.to_side) || '?'})` : '';
    return h('li', {
      'data-kind': g.kind, 'data-fence-id': g.fence_id, 'data-uid': g.uid, 'data-id': g.id,
      class: g.id === freshId ? 'fresh' : '',
      title: `${g.callsign} (${g.track_type}) ${g.kind} ${g.fence_name}${sides}`,
      onclick: () => panToGeofence(g),
    },
    h('div', null, h('span', { class: 'kind' }, g.kind), h('b', null, g.callsign || g.uid)),
    h('div', null, `${g.fence_name || g.fence_id}${sides}`),
    h('div', { class: 'muted' }, dtg(new Date(g.time))));
  }));
}

function panToGeofence(g) {
  if (!isNum(g.lat) || !isNum(g.lon)) return;
  map.setView([Number(g.lat), Number(g.lon)], Math.max(map.getZoom(), 10));
  tracks.get(g.uid)?.marker.openPopup();
}

/** Catch-up: every geofence event stored after the last one seen, page by page. */
async function loadGeofence() {
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const r = await getJson(`geofence?after=${geofenceState.next}&limit=10000`);
    const events = r.events || [];
    for (const g of events) pushGeofence(g);
    if (Number.isFinite(r.next)) geofenceState.next = Math.max(geofenceState.next, r.next);
    if (events.length < 10000) break;
  }
}

// ---------------------------------------------------------------- the view: filter, counts, export

/** The MGRS reference of a grid square: `digits` 0 (100 km), 1 (10 km) or 2 (1 km) per axis. */
function mgrsRef(lat, lon, step) {
  if (!mgrsModule) return null;
  const digits = { 100000: 0, 10000: 1, 1000: 2 }[step] ?? 0;
  try {
    const s = mgrsModule.forward([lon, lat], digits);
    const m = /^(\d{1,2}[A-Z])([A-Z]{2})(\d*)$/.exec(s);
    if (!m) return s;
    const half = m[3].length / 2;
    return [m[1], m[2], m[3].slice(0, half), m[3].slice(half)].filter(Boolean).join(' ');
  } catch {
    return null;
  }
}

function describeArea(a) {
  if (a.type === 'bbox') return `box ${a.bbox.map((x) => x.toFixed(2)).join(', ')}`;
  return `polygon of ${a.points.length} corners`;
}

/** Whether a live observation belongs to the view (the server's filter, mirrored). */
function inView(o) {
  if (replay.active) return false;
  return matches(o, view.filter, view.win, MARKINGS, RELEASE);
}

const areaLayer = L.layerGroup().addTo(map);
function drawArea() {
  areaLayer.clearLayers();
  const a = view.filter.area;
  const opts = { className: 'filter-area', interactive: false, fill: false };
  const sector = view.filter.sector && sectorState.features.get(view.filter.sector);
  if (sector) L.geoJSON(sector, { style: { ...opts, className: 'filter-area filter-sector' } }).addTo(areaLayer);
  if (!a) return;
  if (a.type === 'bbox') L.rectangle([[a.bbox[1], a.bbox[0]], [a.bbox[3], a.bbox[2]]], opts).addTo(areaLayer);
  else L.polygon(a.points.map(([lo, la]) => [la, lo]), opts).addTo(areaLayer);
}

const draw = installAreaDraw(map, (area) => {
  if (selection.picking) { selection.picking = false; selectIncidentsIn(area); return; }
  setFilter({ ...view.filter, area });
});

function renderFilter() {
  renderFilterPanel($('filter-body'), view.filter, {
    categories: CATEGORIES.map((c) => ({ id: c.id, label: humanize(c.id) })),
    violations: VIOLATIONS.map((v) => ({ code: v.code, label: v.label })),
    parties: [...state.parties.values()].map((p) => ({ id: p.id, name: p.name })),
    markings: MARKINGS,
    sectors: [...sectorState.features.values()].map((x) => ({ id: x.properties.id, name: x.properties.name })),
  }, { h, onChange: (f) => setFilter(f ?? emptyFilter()), draw, describeArea });
  $('filter-active').hidden = !narrowed(view.filter) && view.filter.window === '7d';
}

function windowText() {
  const { since, until } = view.win;
  if (replay.active) return `Replay ${dtg(replay.from)} → ${dtg(replay.to)}`;
  if (!since && !until) return 'Everything stored, then live.';
  return `${since ? `Since ${dtg(since)}` : 'From the start'}${until ? ` until ${dtg(until)}.` : ', then live.'}`;
}

/** A new filter: into the URL, then everything the filter touches is loaded again. */
async function setFilter(f) {
  view.filter = f;
  writeFilter(f);
  trackView?.viewChanged();
  if (replay.active) {
    // The replay loads its period again under the new filter and goes on from where it was.
    renderFilter();
    drawArea();
    await startReplay(replay.from, replay.to, replay.speed, replay.t, replay.playing);
    return;
  }
  await reloadView();
}

/** Loads the observations, counts, incidents and lists of the current filter. */
async function reloadView() {
  const gen = ++view.generation;
  view.win = windowOf(view.filter, Date.now(), view.defaultSince);
  state.since = view.win.since ? rfc3339(view.win.since) : null;
  $('obs-window').textContent = windowText();
  renderFilter();
  drawArea();
  clearObservations();
  document.body.dataset.view = 'loading';
  try {
    await Promise.all([
      loadObservations(apiParams(view.filter, view.win), gen),
      loadViewStats(gen),
      loadIncidents(gen),
    ]);
  } catch (e) {
    if (gen === view.generation) setStatus('view', `Could not load the filtered view: ${e.message}`);
    throw e;
  }
  if (gen !== view.generation) return;
  setStatus('view', null);
  renderAlerts();
  renderGeofence();
  renderDetections(null);
  renderInterference();
  document.body.dataset.view = 'ready';
}

function clearObservations() {
  obsLayer.clear();
  $('obs-count').textContent = '0 observations';
}

async function loadViewStats(gen = view.generation) {
  const s = await getJson(`stats?${apiParams(view.filter, view.win)}`);
  if (gen !== view.generation) return;
  view.stats = { total: s.total ?? 0, by_violation: { ...(s.by_violation || {}) }, by_category: { ...(s.by_category || {}) } };
  renderViewCounts();
}

/**
 * The view's counts after live observations: asked again (at most every 2 s) rather than bumped here,
 * so they stay the server's for the same filter whatever raced the first load.
 */
let viewStatsTimer = null;
function scheduleViewStats() {
  if (viewStatsTimer) return;
  viewStatsTimer = setTimeout(() => {
    viewStatsTimer = null;
    if (!replay.active) loadViewStats().catch((e) => setStatus('view', `Counts: ${e.message}`));
  }, 2000);
}

/** An observation shown by the replay: bump the replay's counts. */
function countInView(o) {
  if (!view.stats) return;
  view.stats.total += 1;
  inc(view.stats.by_category, o.category || 'unknown');
  for (const code of violationCodes(o)) inc(view.stats.by_violation, code);
  renderViewCounts();
}

function renderViewCounts() {
  const s = view.stats;
  if (!s) return;
  $('view-total').textContent = s.total.toLocaleString('en-GB');
  $('view-total').dataset.total = String(s.total);
  const viol = Object.entries(s.by_violation).filter(([, n]) => n > 0)
    .sort((a, b) => violationInfo(a[0]).rank - violationInfo(b[0]).rank);
  $('view-violations').replaceChildren(...(viol.length ? viol.map(([code, n]) => {
    const v = violationInfo(code);
    return h('li', { dataset: { violation: code, n: String(n) } },
      h('span', { class: `swatch-dot ${sevClass(v)}` }), h('span', { class: 'label' }, v.label), h('span', { class: 'n' }, n));
  }) : [h('li', { class: 'muted' }, 'None')]));
  const cats = Object.entries(s.by_category).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  $('view-categories').replaceChildren(...(cats.length ? cats.map(([c, n]) =>
    h('li', { dataset: { category: c, n: String(n) } }, h('span', { class: 'label' }, humanize(c)), h('span', { class: 'n' }, n)))
    : [h('li', { class: 'muted' }, 'None')]));
}

/**
 * Downloads the filtered view from the server (only what this user may see, with the labels): its
 * observations, or (`of` = `tracks`) the live tracks, which the server filters by the parameters a track
 * has (area, sector, means, classification, nation) and the page's `trackMatches` mirrors.
 */
async function exportView(button) {
  const format = button.dataset.export;
  const of = button.dataset.exportOf === 'tracks' ? 'tracks' : 'observations';
  const q = apiParams(view.filter, replay.active ? { since: replay.from, until: replay.to } : view.win);
  q.set('format', format);
  const url = new URL(`${of === 'tracks' ? 'export/tracks' : 'export'}?${q}`, new URL(API, document.baseURI));
  button.disabled = true;
  try {
    const res = await truceSession.fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status} — ${(await res.text()).slice(0, 200)}`);
    const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '')?.[1] || `truce-${of}.${format}`;
    const blob = await res.blob();
    const a = h('a', { href: URL.createObjectURL(blob), download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
    setStatus('export', null);
  } catch (e) {
    setStatus('export', `Export of the ${of} (${format}): ${e.message}`);
  } finally {
    button.disabled = false;
  }
}
for (const b of document.querySelectorAll('[data-export]')) b.addEventListener('click', () => exportView(b));

// ---------------------------------------------------------------- incidents and cases

const INCIDENT_DAYS = 31;
const incidentLayer = L.layerGroup().addTo(map);
// One canvas for the rings: a month of a busy front holds tens of thousands of incidents. Only the rings
// in and around the view are on the layer, and only when they are at most INCIDENT_RINGS_MAX: further
// out an uncertainty of a few hundred metres is a pixel or two and the rings only repeated the
// observation clusters as dots, while with 100,000 observations in the window (80,000 incidents)
// drawing them all took seconds a frame at every pan (scripts/bench-map). A ring is made when it first
// comes into view.
const INCIDENT_RINGS_MAX = 5000;
const incidentRenderer = L.canvas({ padding: 0.2 });
/** `byId`: id -> {incident, ring (once made)}; `shown`: the rings on the layer, by id. */
const incidentState = { list: [], byId: new Map(), shown: new Map() };
const selection = { ids: new Set(), picking: false };

function incidentInView(i) {
  const f = view.filter;
  if (!inArea(f, i.lat, i.lon)) return false;
  if (f.sector && i.sector !== sectorName(f.sector)) return false;
  if (f.category.length && !f.category.includes(i.category)) return false;
  if (f.violation.length && !(i.violations || []).some((v) => f.violation.includes(v.code))) return false;
  if (f.marking.length && !f.marking.includes(String(Math.max(0, MARKINGS.indexOf(i.marking || MARKINGS[0]))))) return false;
  return true;
}

/** A brief incident (`format=brief`: violations as codes) in the shape of a whole one. */
function fromBriefIncident(i) {
  return { ...i, violations: (Array.isArray(i?.violations) ? i.violations : []).map((v) => (typeof v === 'string' ? { code: v } : v)) };
}

/** The incidents of the window (its last 31 days at most: the API's limit), drawn with their uncertainty. */
async function loadIncidents(gen = view.generation) {
  const until = view.win.until || new Date();
  let since = view.win.since || new Date(until - INCIDENT_DAYS * 86400_000);
  if (until - since > INCIDENT_DAYS * 86400_000) since = new Date(until - INCIDENT_DAYS * 86400_000);
  const q = new URLSearchParams({ since: rfc3339(since), until: rfc3339(until), format: 'brief' });
  const r = await getJson(`incidents?${q}`, { timeoutMs: 60000 });
  if (gen !== view.generation) return;
  incidentState.list = (r.incidents || []).map(fromBriefIncident).filter((i) => isNum(i.lat) && isNum(i.lon) && incidentInView(i));
  drawIncidents();
}

function incidentPopup(i) {
  const sev = (i.violations || []).map((v) => violationInfo(v.code)).sort((a, b) => a.rank - b.rank)[0] || NO_VIOLATION;
  const picked = selection.ids.has(i.id);
  return h('div', { class: 'incident-popup', 'data-incident': i.id },
    h('b', null, `Incident ${i.id}`),
    h('div', null, `${dtg(new Date(i.time))} · ${humanize(i.category)}${i.count ? ` × ${i.count}` : ''}`),
    h('div', null, `${i.sector ? `Sector ${i.sector} · ` : ''}${i.observations.length} observation(s), located by ${humanize(i.located_by || 'single')}, ±${Math.round(i.uncertainty_m || 0)} m`),
    h('div', null, sev.label),
    h('div', null, 'Observations: ', ...(i.observations || []).slice(0, 6).flatMap((id) => [
      h('a', { href: '#', onclick: (e) => { e.preventDefault(); selectObservation(id); } }, id), ' '])),
    h('div', { class: 'popup-actions' },
      h('button', { type: 'button', 'data-testid': 'incident-spot', onclick: () => openSpotReport(i.id) }, 'Spot report'),
      h('button', {
        type: 'button', 'data-testid': 'incident-pick',
        onclick: (e) => { togglePick(i.id); e.target.textContent = selection.ids.has(i.id) ? 'Remove from case' : 'Add to case'; },
      }, picked ? 'Remove from case' : 'Add to case')),
    h('div', { class: 'muted small' }, `${i.marking || ''}${i.releasable_to?.length ? ` · REL TO ${i.releasable_to.join(', ')}` : ''}`));
}

function drawIncidents() {
  incidentLayer.clearLayers();
  incidentState.byId.clear();
  incidentState.shown.clear();
  for (const i of incidentState.list) incidentState.byId.set(i.id, { incident: i, ring: null });
  showIncidentsInView();
}

function ringOf(entry) {
  if (!entry.ring) {
    const i = entry.incident;
    const sev = (i.violations || []).map((v) => violationInfo(v.code)).sort((a, b) => a.rank - b.rank)[0] || NO_VIOLATION;
    const radius = Math.max(Number(i.uncertainty_m) || 0, 30);
    entry.ring = L.circle([i.lat, i.lon], { radius, renderer: incidentRenderer, ...ringStyle(sev, selection.ids.has(i.id)) });
    entry.ring.sev = sev;
    entry.ring.bindPopup(() => incidentPopup(i));
  }
  return entry.ring;
}

/** Puts on the layer the rings in and around the view, when they are few enough to be drawn. */
function showIncidentsInView() {
  const b = map.getBounds().pad(0.5);
  const [s0, w0, n0, e0] = [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()];
  const near = incidentState.list.filter((i) => i.lat >= s0 && i.lat <= n0 && i.lon >= w0 && i.lon <= e0);
  const want = near.length <= INCIDENT_RINGS_MAX ? near : [];
  const ids = new Set(want.map((i) => i.id));
  for (const [id, ring] of incidentState.shown) {
    if (!ids.has(id)) { incidentLayer.removeLayer(ring); incidentState.shown.delete(id); }
  }
  for (const i of want) {
    if (incidentState.shown.has(i.id)) continue;
    const ring = ringOf(incidentState.byId.get(i.id));
    incidentLayer.addLayer(ring);
    incidentState.shown.set(i.id, ring);
  }
  const n = incidentState.list.length.toLocaleString('en-GB');
  $('incident-count').textContent = want.length < near.length ? `${n} incidents (zoom in to draw their rings)` : `${n} incidents`;
}
map.on('moveend', showIncidentsInView);

/** Shows an incident's popup, at zoom 12 at least, on its ring when drawn. */
function openIncident(id) {
  const e = incidentState.byId.get(id);
  if (!e) return false;
  map.setView([e.incident.lat, e.incident.lon], Math.max(map.getZoom(), 12), { animate: false });
  showIncidentsInView();
  if (incidentState.shown.has(id)) e.ring.openPopup();
  else L.popup().setLatLng([e.incident.lat, e.incident.lon]).setContent(incidentPopup(e.incident)).openOn(map);
  return true;
}

function ringStyle(sev, picked) {
  return picked
    ? { color: '#1971c2', weight: 4, fillColor: sev.color, fillOpacity: 0.15 }
    : { color: sev.color, weight: 1.5, fillColor: sev.color, fillOpacity: 0.08 };
}

function togglePick(id) {
  if (selection.ids.has(id)) selection.ids.delete(id); else selection.ids.add(id);
  renderSelection();
}

function selectIncidentsIn(area) {
  for (const i of incidentState.list) {
    if (inArea({ area }, i.lat, i.lon)) selection.ids.add(i.id);
  }
  renderSelection();
}

function renderSelection() {
  for (const [id, { ring }] of incidentState.byId) if (ring) ring.setStyle(ringStyle(ring.sev, selection.ids.has(id)));
  const ids = [...selection.ids];
  $('case-picked').textContent = ids.length ? `${ids.length} incident(s) selected: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? '…' : ''}` : 'No incident selected.';
  $('case-picked').dataset.count = String(ids.length);
  $('case-open').disabled = ids.length === 0;
  $('case-clear').disabled = ids.length === 0;
}

async function openCase() {
  const title = $('case-title').value.trim();
  const note = $('case-note').value.trim();
  const out = $('case-result');
  if (!title) { out.textContent = 'The case needs a title.'; out.dataset.state = 'error'; return; }
  try {
    const url = new URL('cases', new URL(API, document.baseURI));
    const res = await truceSession.fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title, incidents: [...selection.ids], ...(note ? { note } : {}) }),
    });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.message || `HTTP ${res.status}`);
    out.dataset.state = 'ok';
    out.replaceChildren('Case opened: ', h('a', { href: `cases.html#${encodeURIComponent(body.id)}`, 'data-testid': 'case-link' }, body.id));
    selection.ids.clear();
    $('case-title').value = '';
    $('case-note').value = '';
    renderSelection();
  } catch (e) {
    out.dataset.state = 'error';
    out.textContent = `Could not open the case: ${e.message}`;
  }
}
$('case-open').addEventListener('click', openCase);
$('case-clear').addEventListener('click', () => { selection.ids.clear(); renderSelection(); });
$('case-pick-area').addEventListener('click', () => { selection.picking = true; draw.box(); });

/** `?incidents=a,b` (the case screen's link): those incidents selected and in view. */
async function showLinkedIncidents() {
  const ids = (new URLSearchParams(location.search).get('incidents') || '').split(',').filter(Boolean).slice(0, 200);
  if (!ids.length) return;
  const found = await Promise.all(ids.map((id) => getJson(`incidents/${encodeURIComponent(id)}`).catch(() => null)));
  const points = found.filter((i) => i && isNum(i.lat) && isNum(i.lon));
  for (const i of points) {
    selection.ids.add(i.id);
    if (!incidentState.list.some((x) => x.id === i.id)) incidentState.list.push(i);
  }
  drawIncidents();
  renderSelection();
  if (points.length) map.fitBounds(L.latLngBounds(points.map((i) => [i.lat, i.lon])).pad(0.5), { maxZoom: 12 });
  if (points.length < ids.length) setStatus('linked', `${ids.length - points.length} of the linked incidents could not be shown.`);
}

/** The spot report of an incident, in a new tab (fetched with the session, shown from a blob). */
async function openSpotReport(id) {
  const tab = window.open('', '_blank');
  try {
    const res = await truceSession.fetch(new URL(`reports/spot/${encodeURIComponent(id)}`, new URL(API, document.baseURI)));
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const blob = new Blob([await res.text()], { type: 'text/html' });
    if (tab) tab.location = URL.createObjectURL(blob);
  } catch (e) {
    tab?.close();
    setStatus('spot', `Spot report ${id}: ${e.message}`);
  }
}

// ---------------------------------------------------------------- replay

const REPLAY_TICK_MS = 100;
const replayLayer = L.layerGroup();
const replayRenderer = L.canvas({ padding: 0.2 });
const replay = {
  active: false, playing: false, from: null, to: null, t: null, speed: 600, timer: null,
  observations: [], next: 0, alerts: [], tracks: new Map(), // uid -> {points, marker}
  start: null, // the store's first day
};

/** The slider spans the store: from its first day with observations to now. */
function setupTimeSlider() {
  const days = Object.keys(state.stats?.by_day || {}).filter((d) => state.stats.by_day[d] > 0).sort();
  replay.start = days.length ? new Date(`${days[0]}T00:00:00Z`) : new Date(Date.now() - 7 * 86400_000);
  const slider = $('time-slider');
  slider.min = String(Math.floor(replay.start.getTime() / 60000));
  slider.max = String(Math.floor(Date.now() / 60000));
  if (!replay.active) slider.value = String(Math.max(Number(slider.min), Number(slider.max) - 60 * 24));
  showSliderTime();
}

function showSliderTime() {
  const t = new Date(Number($('time-slider').value) * 60000);
  $('time-at').textContent = dtg(t);
  $('time-at').dateTime = t.toISOString();
}

/**
 * Replays [from, to): clears the map, then shows each observation, alert and track position at its time,
 * from `at` (the period's start unless given), playing or paused.
 */
async function startReplay(from, to, speed, at = from, playing = true) {
  stopReplayTimer();
  replay.active = true;
  replay.from = from;
  replay.to = to;
  replay.t = at;
  replay.speed = speed;
  document.body.dataset.mode = 'replay';
  $('live-button').hidden = false;
  $('obs-window').textContent = windowText();
  setLiveTracksShown(false);
  replayLayer.clearLayers().addTo(map);
  replay.tracks.clear();
  clearObservations();
  const win = { since: from, until: to };
  const all = [];
  const gen = ++view.generation;
  await loadObservationsInto(apiParams(view.filter, win), (list) => all.push(...list), gen);
  if (gen !== view.generation) return;
  all.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  replay.observations = all;
  replay.next = 0;
  const alerts = await getJson(`alerts?${new URLSearchParams({ since: rfc3339(from), until: rfc3339(to), limit: '1000' })}`).catch(() => ({ alerts: [] }));
  replay.alerts = (alerts.alerts || []).filter((a) => Date.parse(a.at) < to.getTime());
  await loadReplayTracks(from, to).catch((e) => setStatus('replay', `Replay tracks: ${e.message}`));
  view.stats = { total: 0, by_violation: {}, by_category: {} };
  renderViewCounts();
  replay.playing = playing;
  $('replay-play').textContent = playing ? 'Pause' : 'Play';
  if (playing) replay.timer = setInterval(replayTick, REPLAY_TICK_MS);
  replayTick();
}

async function loadReplayTracks(from, to) {
  let cursor = null;
  const byUid = new Map();
  for (let page = 0; page < 50; page++) {
    const q = new URLSearchParams({ since: rfc3339(from), until: rfc3339(to), limit: '10000' });
    if (cursor) q.set('cursor', cursor);
    const r = await getJson(`tracks/history?${q}`, { timeoutMs: 60000 });
    for (const p of r.points || []) {
      // The view's filter, as for the live picture: a track's points outside it are not replayed.
      if (!isNum(p.lat) || !isNum(p.lon)) continue;
      if (!trackMeansTaken(trackKind(p.uid)) || !trackMatches(p, view.filter, MARKINGS, RELEASE)) continue;
      if (!byUid.has(p.uid)) byUid.set(p.uid, []);
      byUid.get(p.uid).push({ t: Date.parse(p.time), lat: Number(p.lat), lon: Number(p.lon), p });
    }
    cursor = r.next;
    if (!cursor) break;
  }
  for (const [uid, points] of byUid) {
    points.sort((a, b) => a.t - b.t);
    replay.tracks.set(uid, { points, marker: null, trail: null });
  }
}

function replayTick() {
  if (!replay.active) return;
  if (replay.playing) replay.t = new Date(Math.min(replay.to.getTime(), replay.t.getTime() + replay.speed * REPLAY_TICK_MS));
  const t = replay.t.getTime();
  // Observations up to t.
  const batch = [];
  while (replay.next < replay.observations.length && Date.parse(replay.observations[replay.next].time) <= t) {
    batch.push(replay.observations[replay.next++]);
  }
  if (batch.length) {
    addObservations(batch);
    for (const o of batch) countInView(o);
  }
  // Alerts up to t, newest first.
  alertState.shown = replay.alerts.filter((a) => Date.parse(a.at) <= t);
  renderAlerts();
  // Tracks: each at its last position at or before t, with the trail behind it.
  for (const [uid, tr] of replay.tracks) {
    let i = -1;
    for (let lo = 0, hi = tr.points.length - 1; lo <= hi;) {
      const mid = (lo + hi) >> 1;
      if (tr.points[mid].t <= t) { i = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (i < 0) continue;
    const pt = tr.points[i];
    const trail = tr.points.slice(Math.max(0, i - 20), i + 1).map((q) => [q.lat, q.lon]);
    if (!tr.marker) {
      tr.marker = L.circleMarker([pt.lat, pt.lon], { radius: 5, renderer: replayRenderer, color: '#000', weight: 2, fillColor: '#ffd43b', fillOpacity: 1 })
        .bindTooltip(pt.p.callsign || uid).addTo(replayLayer);
      tr.trail = L.polyline(trail, { renderer: replayRenderer, color: '#495057', weight: 1.5, dashArray: '3 3', interactive: false }).addTo(replayLayer);
    } else {
      tr.marker.setLatLng([pt.lat, pt.lon]);
      tr.trail.setLatLngs(trail);
    }
    tr.at = pt;
  }
  $('time-at').textContent = dtg(replay.t);
  $('time-at').dateTime = replay.t.toISOString();
  $('time-slider').value = String(Math.floor(t / 60000));
  $('replay-state').textContent = `${dtg(replay.t)} · ×${replay.speed}${t >= replay.to.getTime() ? ' · end of the period' : ''}`;
  document.body.dataset.replayAt = replay.t.toISOString();
  if (t >= replay.to.getTime()) {
    replay.playing = false;
    stopReplayTimer();
    $('replay-play').textContent = 'Play';
    document.body.dataset.replay = 'done';
  } else {
    document.body.dataset.replay = replay.playing ? 'playing' : 'paused';
  }
}

function stopReplayTimer() {
  clearInterval(replay.timer);
  replay.timer = null;
}

/** Back to live: the replay layer goes, the filtered view is loaded again, live tracks return. */
async function goLive() {
  stopReplayTimer();
  replay.active = false;
  replay.playing = false;
  replayLayer.clearLayers().remove();
  replay.tracks.clear();
  alertState.shown = null;
  document.body.dataset.mode = 'live';
  delete document.body.dataset.replay;
  $('live-button').hidden = true;
  $('replay-state').textContent = '';
  setLiveTracksShown(true);
  setupTimeSlider();
  await reloadView();
}

$('time-slider').addEventListener('input', () => {
  showSliderTime();
  if (replay.active && !replay.playing) {
    // Scrubbing a paused replay within its period moves its clock.
    const t = new Date(Number($('time-slider').value) * 60000);
    if (t >= replay.from && t <= replay.to) {
      if (t < replay.t) { clearObservations(); replay.next = 0; view.stats = { total: 0, by_violation: {}, by_category: {} }; }
      replay.t = t;
      replayTick();
    }
  }
});
$('replay-play').addEventListener('click', () => {
  if (replay.active && replay.t < replay.to) {
    replay.playing = !replay.playing;
    $('replay-play').textContent = replay.playing ? 'Pause' : 'Play';
    if (replay.playing && !replay.timer) replay.timer = setInterval(replayTick, REPLAY_TICK_MS);
    replayTick();
    return;
  }
  const from = new Date(Number($('time-slider').value) * 60000);
  const hours = Number($('replay-length').value);
  const to = new Date(Math.min(Date.now(), from.getTime() + hours * 3600_000));
  startReplay(from, to, Number($('replay-speed').value)).catch((e) => setStatus('replay', `Replay: ${e.message}`));
});
$('replay-speed').addEventListener('change', () => { replay.speed = Number($('replay-speed').value); });
$('live-button').addEventListener('click', () => { goLive().catch((e) => setStatus('view', e.message)); });

// ---------------------------------------------------------------- tools: readout, grid, measure, search

installReadout(map, { h, mgrs });
const mgrsGrid = mgrsGridLayer(map, { mgrs: mgrsRef });
const measure = installMeasure(map, { h });

layerControl.addOverlay(incidentLayer, 'Incidents (uncertainty)');
layerControl.addOverlay(mgrsGrid, 'MGRS grid');
layerControl.addOverlay(sectorLayer, 'Sectors (warning level)');
layerControl.addOverlay(geofenceLayer, 'Geofence events');
layerControl.addOverlay(planLayer, 'Coalition plan');

/** Live tracks off while a replay draws its own, back on at live (as the layer control had them). */
const liveTrackLayers = [trackLayer, seaLayer, airLayer];
const hiddenForReplay = new Set();
function setLiveTracksShown(on) {
  for (const layer of liveTrackLayers) {
    if (!on && map.hasLayer(layer)) { hiddenForReplay.add(layer); layer.remove(); }
    if (on && hiddenForReplay.has(layer)) { layer.addTo(map); hiddenForReplay.delete(layer); }
  }
}

/** Settlements of the basemap for the search box, biggest first. */
const placeNames = () => (state.basemap?.places() || []).map((p) => ({
  name: p.name, lat: p.lat, lon: p.lon, zoom: p.population >= 100000 ? 10 : 12,
  detail: [p.country, p.population ? `pop. ${Number(p.population).toLocaleString('en-GB')}` : null].filter(Boolean).join(' · '),
}));

const search = installSearch($('search'), $('search-results'), {
  h,
  sources: () => {
    const out = [];
    for (const id of obsLayer.ids()) out.push({ kind: 'observation', label: id, go: () => selectObservation(id) });
    for (const i of incidentState.list) {
      out.push({ kind: 'incident', label: i.id, detail: i.sector, go: () => openIncident(i.id) });
    }
    for (const kind of ['tak', 'sea', 'air']) {
      for (const t of tracksOf(kind)) {
        const id = kind === 'sea' ? t.uid.replace(/^ais-/, 'MMSI ') : kind === 'air' ? t.uid.replace(/^icao-/, 'ICAO ') : t.uid;
        out.push({ kind: { tak: 'TAK unit', sea: 'vessel', air: 'aircraft' }[kind], label: t.callsign || t.uid, detail: id, go: () => map.setView([t.lat, t.lon], 11) });
      }
    }
    for (const [id, z] of state.zoneNames) out.push({ kind: 'zone', label: z.name, detail: id, go: () => zoneBounds(id) && map.fitBounds(zoneBounds(id)) });
    for (const p of placeNames()) out.push({ kind: 'place', label: p.name, detail: p.detail, go: () => map.setView([p.lat, p.lon], p.zoom || 11) });
    return out;
  },
});

// ---------------------------------------------------------------- clock

function tickClock() {
  const now = new Date();
  $('clock').textContent = dtg(now);
  $('clock').dateTime = now.toISOString();
  if (state.day && state.stats && pickDay() !== state.day.date) {
    chooseDayCounts();
    renderToday();
  }
}
tickClock();
setInterval(tickClock, 1000);

// ---------------------------------------------------------------- start

/**
 * The last 7 days, from 00:00Z, so that whole UTC days are on the map (and match the per-day counts);
 * but when the newest day with observations is older than that (a replayed or archived data set), the
 * 7 days that end with it, so the map never opens empty when there is data.
 */
async function observationWindow() {
  const now = Date.now();
  let since = new Date(Date.parse(`${utcDay(new Date(now - WINDOW_DAYS * 86400 * 1000))}T00:00:00Z`));
  try {
    const s = await getJson('stats');
    const days = Object.keys(s?.by_day || {}).filter((d) => s.by_day[d] > 0 && /^\d{4}-\d{2}-\d{2}$/.test(d)).sort();
    const last = days.length ? Date.parse(`${days[days.length - 1]}T00:00:00Z`) : NaN;
    if (Number.isFinite(last) && last < since.getTime()) since = new Date(last - (WINDOW_DAYS - 1) * 86400 * 1000);
  } catch {
    // Counts are loaded again later, and report their own error.
  }
  view.defaultSince = since;
  view.win = windowOf(view.filter, now, since);
  state.since = view.win.since ? rfc3339(view.win.since) : null;
  $('obs-window').textContent = windowText();
}

async function start() {
  // The vocabulary first: legends, colours, markings and levels are keyed on its codes.
  applyVocabulary(await getJson('vocabulary'));
  installColourRules();
  renderObservationLegend();
  renderBanner();
  // The agreement gives names for lines, zones and parties; geometry can be drawn without it.
  const agreement = loadAgreement().catch((e) => setStatus('agreement', `Agreement: ${e.message}`));
  const basemap = loadBasemap();
  await observationWindow();
  await agreement;
  renderFilter();
  drawArea();
  const geometry = loadGeometry();
  const observations = Promise.all([
    loadObservations(apiParams(view.filter, view.win)), loadViewStats(), loadIncidents(),
  ]);
  const warning = Promise.all([loadSectors().then(() => loadWarning()), loadAlerts()])
    .catch((e) => setStatus('warning', `Early warning: ${e.message}`));
  // Asked again every minute once signed in (a picture can change with the clock alone).
  setInterval(() => warningSoon(), WARNING_EVERY_MS);
  const tak = Promise.all([loadTracks(), loadGeofence()])
    .then(() => setStatus('tak', null), (e) => setStatus('tak', `TAK tracks: ${e.message}`));
  const detections = loadDetections()
    .then(() => setStatus('detections', null), (e) => setStatus('detections', `Sea and air detections: ${e.message}`));
  const interference = loadInterference()
    .then(() => setStatus('interference', null), (e) => setStatus('interference', `GNSS interference: ${e.message}`));
  await Promise.all([basemap, geometry, observations, warning, tak, detections, interference]);
  scheduleInterference();
  await loadStats().catch((e) => setStatus('stats', `Counts: ${e.message}`));
  setupTimeSlider();
  renderAlerts();
  renderGeofence();
  renderDetections(null);
  renderInterference();
  document.body.dataset.view = 'ready';
  document.body.dataset.mode = 'live';
  await showLinkedIncidents();
  conn.initialDone = true;
  const buffered = conn.buffer.splice(0);
  for (const item of buffered) handleLive(item);
}

// Nothing is asked of the server before someone has logged in (GET api/v1/me, else the login form).
const ready = truceSession.require().then(() => {
  connect();
  return start();
}).then(
  () => {
    document.body.dataset.ready = 'true';
  },
  (e) => {
    setStatus('fatal', `The map could not load: ${e.message}`);
    document.body.dataset.ready = 'error';
    document.body.dataset.error = e.message;
    conn.initialDone = true;
    throw e;
  },
);
ready.catch(() => {});

window.truceMap = {
  ready,
  map,
  /** The view's filter (as in the URL) and a way to set it; resolves when the view is loaded again. */
  filter: () => structuredClone(view.filter),
  setFilter: (f) => setFilter({ ...emptyFilter(), ...f }),
  /** The uids of the tracks in `list` (the API's form) that the filter `f` takes by the page's rule. */
  tracksTaken: (list, f) => list.filter((t) => trackMatches(t, { ...emptyFilter(), ...f }, MARKINGS, RELEASE)).map((t) => t.uid),
  /** The counts shown for the filtered view: {total, by_violation, by_category}. */
  viewCounts: () => structuredClone(view.stats),
  /** The incidents drawn: {id, lat, lon, uncertainty_m, picked}. */
  incidents: () => incidentState.list.map(({ id, lat, lon, uncertainty_m: u, sector }) => ({ id, lat, lon, uncertainty_m: u, sector, picked: selection.ids.has(id) })),
  /** Opens an incident's popup (as a click on its ring does). */
  openIncident: (id) => openIncident(id),
  /** Selects incidents for a case (as "Add to case" does). */
  pick: (ids) => { for (const id of ids) selection.ids.add(id); renderSelection(); },
  /** Replays [from, to) at `speed` times real time; `replayState()` follows it, `live()` ends it. */
  replay: (from, to, speed = 3600) => startReplay(new Date(from), new Date(to), speed),
  replayState: () => ({ active: replay.active, playing: replay.playing, at: replay.t?.toISOString() ?? null, tracks: [...replay.tracks.values()].filter((t) => t.at).length }),
  live: () => goLive(),
  measure,
  search,
  mgrsGrid: () => (map.hasLayer(mgrsGrid) ? mgrsGrid.lines || 0 : 0),
  /** Switches the coalition plan layer; resolves with the deployments drawn once it has loaded. */
  showPlan: async () => {
    planLayer.addTo(map);
    await planState.loading;
    return planState.units;
  },
  /** The geofence events drawn on the map's layer. */
  geofenceDrawn: () => geofenceLayer.shown || 0,
  showGrid: (on) => { if (on) mgrsGrid.addTo(map); else mgrsGrid.remove(); },
  counts: () => ({ lines: state.lineFeatures, zones: state.zoneFeatures, observations: obsLayer.count() }),
  has: (id) => obsLayer.has(id),
  /** The ids of the observations on the map. */
  ids: () => obsLayer.ids(),
  /** The start of the observation window (RFC 3339), once known. */
  since: () => state.since,
  select: (id) => selectObservation(id),
  connection: () => $('conn').dataset.state,
  alerts: () => alertState.list.map((a) => ({ seq: a.seq, scope: a.scope, level: a.level })),
  /** The TAK tracks (the "Live tracks (TAK)" layer). */
  tracks: () => tracksOf('tak').map(({ uid, type, callsign, lat, lon }) => ({ uid, type, callsign, lat, lon })),
  /** The vessels drawn on the "Sea (AIS)" layer: {uid, type, callsign, lat, lon, course, speed, hae, trail}. */
  sea: () => tracksOf('sea'),
  /** The aircraft drawn on the "Air (ADS-B)" layer. */
  air: () => tracksOf('air'),
  /** The sea and air detections listed, newest first. */
  detections: () => detectionState.list.map((d) => ({
    detector: d.detector, time: d.time, summary: d.summary, key: d.key,
    tracks: (d.tracks || []).map((t) => ({ kind: t.kind, id: t.id, uid: craftUid(t) })),
  })),
  /** Shows a detection (by its key) as a click on it does. */
  selectDetection: (key) => selectDetection(key),
  /** The GNSS interference cells drawn: {level, share, aircraft, degraded, window_start}. */
  interference: () => interferenceState.cells.map((c) => ({ ...c })),
  sidc: (cotType) => sidcFromCot(cotType),
  // drawnTracks(), trackAt(uid), trackLabels(), trackStats(), drawTracks(): the track canvas (see its section).
  ...trackProbes,
  geofence: () => geofenceState.list.map((g) => ({ id: g.id, kind: g.kind, fence_id: g.fence_id, callsign: g.callsign })),
  /** Back to the whole of Ukraine; resolves when the observations are drawn there. */
  home: async () => {
    goHome(false);
    await obsLayer.drawn();
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    return true;
  },
  /** Once the observation layer has drawn what it holds: its symbols, {clusters, markers, largest, draws}. */
  obsDrawn: async () => {
    await obsLayer.drawn();
    return obsLayer.stats();
  },
};
