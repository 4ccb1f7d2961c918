// The map's tools for working, not only looking: the coordinate readout under the cursor (MGRS and
// lat/lon), the MGRS grid, the geodesic measuring tool, drawing a box or a polygon to filter by area,
// the filter panel and the search box. Each `install…` takes the Leaflet map and what it needs from the
// page (passed in, so this module holds no page state of its own) and returns what the page drives.
// Text from the server is always inserted as text (the page's `h` builder), never as HTML.

/* global L */

import { fmtBearing, fmtDistance, fromUtm, inverse, toUtm, utmZone } from './geo.js';
import { MEANS, WINDOWS } from './filter.js';

// ---------------------------------------------------------------- readout

const hemi = (v, pos, neg) => `${Math.abs(v).toFixed(5)}° ${v >= 0 ? pos : neg}`;

/** Lat/lon and MGRS under the cursor, bottom left; `mgrs(lat, lon)` may answer null (no module). */
export function installReadout(map, { h, mgrs }) {
  const el = h('div', { id: 'readout', class: 'readout', 'data-testid': 'readout' }, 'Move over the map for its coordinates');
  const Ctl = L.Control.extend({ onAdd: () => el });
  new Ctl({ position: 'bottomleft' }).addTo(map);
  L.DomEvent.disableClickPropagation(el);
  const show = (ll) => {
    const lon = ((((ll.lng + 180) % 360) + 360) % 360) - 180;
    const grid = mgrs(ll.lat, lon);
    el.dataset.lat = ll.lat.toFixed(5);
    el.dataset.lon = lon.toFixed(5);
    el.dataset.mgrs = grid || '';
    el.textContent = `${grid ? `${grid} · ` : ''}${hemi(ll.lat, 'N', 'S')} ${hemi(lon, 'E', 'W')}`;
  };
  map.on('mousemove', (e) => show(e.latlng));
  return { show };
}

// ---------------------------------------------------------------- MGRS grid

/** Grid spacing for a zoom: 100 km squares zoomed out, 10 km, then 1 km; none at country scale. */
function gridStep(zoom) {
  if (zoom < 7) return null;
  if (zoom < 10) return 100000;
  if (zoom < 13) return 10000;
  return 1000;
}

/**
 * The MGRS grid as an overlay: the UTM lines of constant easting and northing at the spacing the
 * zoom suits, cut at the zone edges, with each square's MGRS label at its south-west corner.
 */
export function mgrsGridLayer(map, { mgrs }) {
  const layer = L.layerGroup();
  const draw = () => {
    layer.clearLayers();
    const step = gridStep(map.getZoom());
    if (!step || !map.hasLayer(layer)) return;
    const b = map.getBounds();
    const south = Math.max(b.getSouth(), 0);
    const north = Math.min(b.getNorth(), 84);
    if (south >= north) return;
    let lines = 0;
    for (let zone = utmZone(b.getWest()); zone <= utmZone(b.getEast()); zone++) {
      const west = Math.max(b.getWest(), zone * 6 - 186);
      const east = Math.min(b.getEast(), zone * 6 - 180);
      if (west >= east) continue;
      // The zone's part of the view in UTM: its corners and edge midpoints bound it.
      const pts = [[south, west], [south, east], [north, west], [north, east], [south, (west + east) / 2], [north, (west + east) / 2]]
        .map(([la, lo]) => toUtm(la, lo, zone));
      const e0 = Math.floor(Math.min(...pts.map((p) => p.easting)) / step) * step;
      const e1 = Math.ceil(Math.max(...pts.map((p) => p.easting)) / step) * step;
      const n0 = Math.floor(Math.min(...pts.map((p) => p.northing)) / step) * step;
      const n1 = Math.ceil(Math.max(...pts.map((p) => p.northing)) / step) * step;
      if ((e1 - e0) / step > 80 || (n1 - n0) / step > 80) continue; // too dense to read
      const inZone = (ll) => ll.lon >= zone * 6 - 186 && ll.lon <= zone * 6 - 180;
      const sample = (from, to, fixed, isEasting) => {
        const out = [];
        const n = 24;
        for (let i = 0; i <= n; i++) {
          const v = from + ((to - from) * i) / n;
          const ll = isEasting ? fromUtm(fixed, v, zone) : fromUtm(v, fixed, zone);
          if (inZone(ll)) out.push([ll.lat, ll.lon]);
        }
        return out;
      };
      for (let e = e0; e <= e1; e += step) {
        const line = sample(n0, n1, e, true);
        if (line.length > 1) { layer.addLayer(L.polyline(line, { className: 'mgrs-grid', interactive: false })); lines++; }
      }
      for (let n = n0; n <= n1; n += step) {
        const line = sample(e0, e1, n, false);
        if (line.length > 1) { layer.addLayer(L.polyline(line, { className: 'mgrs-grid', interactive: false })); lines++; }
      }
      // Labels: the square's MGRS reference at its south-west corner, for squares in view.
      for (let e = e0; e < e1; e += step) {
        for (let n = n0; n < n1; n += step) {
          const ll = fromUtm(e + step * 0.02, n + step * 0.02, zone);
          if (!inZone(ll) || !b.contains([ll.lat, ll.lon])) continue;
          const ref = mgrs(ll.lat, ll.lon, step);
          if (!ref) continue;
          layer.addLayer(L.marker([ll.lat, ll.lon], {
            interactive: false,
            keyboard: false,
            icon: L.divIcon({ className: 'mgrs-label', html: '', iconSize: null }),
          }).on('add', (ev) => { ev.target.getElement().textContent = ref; }));
        }
      }
    }
    layer.lines = lines;
  };
  map.on('moveend zoomend', draw);
  layer.on('add', () => setTimeout(draw));
  layer.redraw = draw;
  return layer;
}

// ---------------------------------------------------------------- measuring

/**
 * The measuring tool: click points on the map; each leg shows its geodesic distance and bearing, the
 * total is kept; Escape or the button ends it (the drawing stays until the next measurement or Clear).
 */
export function installMeasure(map, { h }) {
  const layer = L.layerGroup().addTo(map);
  const out = h('div', { id: 'measure-out', 'data-testid': 'measure-out', class: 'measure-out', hidden: true });
  const button = h('button', { type: 'button', id: 'measure-button', 'data-testid': 'measure-button', title: 'Measure distance and bearing (geodesic, WGS84)' }, 'Measure');
  const clear = h('button', { type: 'button', id: 'measure-clear', title: 'Clear the measurement' }, 'Clear');
  const box = h('div', { class: 'leaflet-bar tool-box' }, button, clear, out);
  const Ctl = L.Control.extend({ onAdd: () => box });
  new Ctl({ position: 'topleft' }).addTo(map);
  L.DomEvent.disableClickPropagation(box);
  const st = { active: false, points: [], legs: [] };

  const render = () => {
    layer.clearLayers();
    if (!st.points.length) { out.hidden = true; return; }
    L.polyline(st.points, { className: 'measure-line', interactive: false }).addTo(layer);
    for (const p of st.points) L.circleMarker(p, { radius: 4, className: 'measure-point', interactive: false }).addTo(layer);
    const total = st.legs.reduce((s, l) => s + l.distance, 0);
    out.hidden = false;
    out.replaceChildren(
      ...st.legs.map((l, i) => h('div', { 'data-testid': 'measure-leg' },
        `Leg ${i + 1}: ${fmtDistance(l.distance)}, bearing ${fmtBearing(l.bearing)}`)),
      h('div', { 'data-testid': 'measure-total', 'data-metres': String(total) },
        h('b', null, `Total ${fmtDistance(total)}`), st.active ? ' · click to add, Esc to end' : ''),
    );
  };
  const stop = () => {
    st.active = false;
    button.classList.remove('active');
    map.getContainer().classList.remove('measuring');
    render();
  };
  const add = (ll) => {
    const prev = st.points[st.points.length - 1];
    st.points.push([ll.lat, ll.lng]);
    if (prev) {
      const g = inverse(prev[0], prev[1], ll.lat, ll.lng);
      if (g) st.legs.push(g);
    }
    render();
  };
  map.on('click', (e) => { if (st.active) add(e.latlng); });
  button.addEventListener('click', () => {
    if (st.active) { stop(); return; }
    st.active = true;
    st.points = [];
    st.legs = [];
    button.classList.add('active');
    map.getContainer().classList.add('measuring');
    render();
  });
  clear.addEventListener('click', () => { st.points = []; st.legs = []; stop(); });
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && st.active) stop(); });
  return { active: () => st.active, add: (lat, lon) => add(L.latLng(lat, lon)), stop, legs: () => st.legs.map((l) => ({ ...l })) };
}

// ---------------------------------------------------------------- area drawing

/**
 * Drawing the filter's area: a box (press, drag, release) or a polygon (click the corners; click the
 * first corner, double-click or press Enter to close; Escape cancels). `done(area)` gets
 * `{type:'bbox', bbox:[w,s,e,n]}` or `{type:'polygon', points:[[lon,lat],...]}`.
 */
export function installAreaDraw(map, done) {
  const layer = L.layerGroup().addTo(map);
  let mode = null;
  let pts = [];
  let start = null;
  let rect = null;
  const container = map.getContainer();
  const finish = (area) => {
    mode = null;
    pts = [];
    start = null;
    rect = null;
    layer.clearLayers();
    map.dragging.enable();
    map.doubleClickZoom.enable();
    container.classList.remove('drawing');
    if (area) done(area);
  };
  const redraw = (cursor) => {
    layer.clearLayers();
    const line = cursor ? [...pts, cursor] : pts;
    if (line.length > 1) L.polyline(line, { className: 'draw-line', interactive: false }).addTo(layer);
    for (const p of pts) L.circleMarker(p, { radius: 4, className: 'draw-point', interactive: false }).addTo(layer);
  };
  const closePolygon = () => {
    if (pts.length < 3) return;
    finish({ type: 'polygon', points: pts.map(([la, lo]) => [lo, la]) });
  };
  map.on('mousedown', (e) => {
    if (mode !== 'bbox') return;
    start = e.latlng;
    rect = L.rectangle([start, start], { className: 'draw-box', interactive: false }).addTo(layer);
  });
  map.on('mousemove', (e) => {
    if (mode === 'bbox' && start && rect) rect.setBounds([start, e.latlng]);
    if (mode === 'polygon' && pts.length) redraw([e.latlng.lat, e.latlng.lng]);
  });
  map.on('mouseup', (e) => {
    if (mode !== 'bbox' || !start) return;
    const b = L.latLngBounds(start, e.latlng);
    if (b.getNorth() - b.getSouth() < 1e-4 || b.getEast() - b.getWest() < 1e-4) { finish(null); return; }
    finish({ type: 'bbox', bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] });
  });
  map.on('click', (e) => {
    if (mode !== 'polygon') return;
    if (pts.length >= 3) {
      const first = map.latLngToContainerPoint(pts[0]);
      if (first.distanceTo(e.containerPoint) < 10) { closePolygon(); return; }
    }
    pts.push([e.latlng.lat, e.latlng.lng]);
    redraw();
  });
  map.on('dblclick', () => { if (mode === 'polygon') closePolygon(); });
  document.addEventListener('keydown', (e) => {
    if (!mode) return;
    if (e.key === 'Escape') finish(null);
    if (e.key === 'Enter' && mode === 'polygon') closePolygon();
  });
  return {
    box() { finish(null); mode = 'bbox'; map.dragging.disable(); container.classList.add('drawing'); },
    polygon() { finish(null); mode = 'polygon'; map.doubleClickZoom.disable(); container.classList.add('drawing'); },
    cancel: () => finish(null),
    active: () => mode,
  };
}

// ---------------------------------------------------------------- filter panel

const MEANS_WORDS = {
  patrol: 'Patrol', fixed_camera: 'Fixed camera', uav: 'UAV', sensor: 'Sensor', tak_device: 'TAK device',
  ship: 'Ship (AIS)', aircraft: 'Aircraft (ADS-B)', import: 'Import',
};

/**
 * The filter panel: time window, area, sector, and one tick list per facet. `options` = {categories:
 * [{id,label}], violations:[{code,label}], parties:[{id,name}], markings:[names], sectors:[{id,name}]}; `onChange(f)` gets a new
 * filter object each time one control changes; `draw` is installAreaDraw's handle.
 */
export function renderFilterPanel(el, f, options, { h, onChange, draw, describeArea }) {
  const change = (patch) => onChange({ ...f, ...patch });
  const ticks = (key, items, title) => {
    const chosen = new Set(f[key]);
    const summary = h('summary', { 'data-testid': `filter-${key}-summary` },
      `${title}${chosen.size ? ` (${chosen.size})` : ': all'}`);
    const list = items.map(({ value, label }) => h('label', { class: 'tick' },
      h('input', {
        type: 'checkbox', value, 'data-testid': `filter-${key}-${value}`, checked: chosen.has(value),
        onchange: (e) => {
          const next = new Set(f[key]);
          if (e.target.checked) next.add(value); else next.delete(value);
          change({ [key]: items.map((i) => i.value).filter((v) => next.has(v)) });
        },
      }), label));
    return h('details', { class: 'facet', 'data-facet': key, open: chosen.size ? true : null }, summary, ...list);
  };
  const asLocal = (iso) => (iso ? iso.slice(0, 16) : '');
  const fromLocal = (v) => (v ? new Date(`${v}:00Z`).toISOString() : null);
  const windowSel = h('select', {
    id: 'filter-window', 'data-testid': 'filter-window',
    onchange: (e) => change({ window: e.target.value, ...(e.target.value === 'custom' ? {} : { since: null, until: null }) }),
  }, ...Object.entries(WINDOWS).map(([k, w]) => h('option', { value: k, selected: f.window === k }, w.label)));
  const custom = f.window === 'custom' ? h('div', { class: 'custom-window' },
    h('label', null, 'From (UTC) ', h('input', {
      type: 'datetime-local', 'data-testid': 'filter-since', value: asLocal(f.since),
      onchange: (e) => change({ since: fromLocal(e.target.value) }),
    })),
    h('label', null, 'To (UTC) ', h('input', {
      type: 'datetime-local', 'data-testid': 'filter-until', value: asLocal(f.until),
      onchange: (e) => change({ until: fromLocal(e.target.value) }),
    }))) : null;
  const nation = h('input', {
    id: 'filter-nation', 'data-testid': 'filter-nation', value: f.nation, size: 4, maxlength: 3,
    placeholder: 'e.g. POL', pattern: '[A-Za-z]{3}', title: 'Only what is releasable to this nation (ISO alpha-3)',
    onchange: (e) => {
      const v = e.target.value.trim().toUpperCase();
      if (v && !/^[A-Z]{3}$/.test(v)) { e.target.setCustomValidity('three letters, e.g. POL'); e.target.reportValidity(); return; }
      e.target.setCustomValidity('');
      change({ nation: v });
    },
  });
  el.replaceChildren(...[
    h('div', { class: 'filter-row' }, h('label', { for: 'filter-window' }, 'Time '), windowSel),
    custom,
    h('div', { class: 'filter-row' }, 'Area ',
      h('span', { 'data-testid': 'filter-area', class: 'muted small' }, f.area ? describeArea(f.area) : 'everywhere'),
      h('button', { type: 'button', 'data-testid': 'filter-draw-box', onclick: () => draw.box(), title: 'Press and drag on the map' }, 'Box'),
      h('button', { type: 'button', 'data-testid': 'filter-draw-polygon', onclick: () => draw.polygon(), title: 'Click the corners; Enter or double-click to close' }, 'Polygon'),
      f.area ? h('button', { type: 'button', 'data-testid': 'filter-area-clear', onclick: () => change({ area: null }) }, 'Any') : null),
    options.sectors.length ? h('div', { class: 'filter-row' }, h('label', { for: 'filter-sector' }, 'Sector '),
      h('select', {
        id: 'filter-sector', 'data-testid': 'filter-sector', title: 'What the early warning counts in the sector',
        onchange: (e) => change({ sector: e.target.value }),
      }, h('option', { value: '', selected: !f.sector }, 'Any'),
      ...options.sectors.map((x) => h('option', { value: x.id, selected: f.sector === x.id }, x.name)))) : null,
    ticks('category', options.categories.map((c) => ({ value: c.id, label: c.label })), 'Category'),
    ticks('violation', options.violations.map((v) => ({ value: v.code, label: v.label })), 'Violation'),
    ticks('means', MEANS.map((m) => ({ value: m, label: MEANS_WORDS[m] })), 'Source and means'),
    ticks('party', [...options.parties.map((p) => ({ value: p.id, label: p.name })), { value: 'none', label: 'Not attributed' }], 'Party'),
    ticks('marking', options.markings.map((m, i) => ({ value: String(i), label: m })), 'Classification'),
    h('div', { class: 'filter-row' }, h('label', { for: 'filter-nation' }, 'Releasable to '), nation),
    h('div', { class: 'filter-row' },
      h('button', { type: 'button', 'data-testid': 'filter-reset', onclick: () => onChange(null) }, 'Reset filters')),
  ].filter(Boolean));
}

// ---------------------------------------------------------------- search

/**
 * The search box: by observation or incident id, track uid, callsign, MMSI or ICAO address, and place
 * (settlements of the basemap, the agreement's zones and lines). `sources()` answers the candidates
 * `[{kind, label, detail, go}]`; the first eight matches are listed, Enter takes the first.
 */
export function installSearch(input, list, { h, sources }) {
  let results = [];
  const show = () => {
    const q = input.value.trim().toLowerCase();
    if (q.length < 2) { list.replaceChildren(); list.hidden = true; results = []; return; }
    const all = sources();
    const starts = [];
    const contains = [];
    for (const c of all) {
      const hay = `${c.label} ${c.detail || ''}`.toLowerCase();
      if (c.label.toLowerCase().startsWith(q) || (c.detail || '').toLowerCase().startsWith(q)) starts.push(c);
      else if (hay.includes(q)) contains.push(c);
      if (starts.length >= 8) break;
    }
    results = [...starts, ...contains].slice(0, 8);
    list.hidden = false;
    list.replaceChildren(...(results.length ? results.map((r, i) => h('li', {
      'data-testid': 'search-result', 'data-kind': r.kind, tabindex: '0',
      onclick: () => pick(i), onkeydown: (e) => { if (e.key === 'Enter') pick(i); },
    }, h('b', null, r.label), ' ', h('span', { class: 'muted small' }, `${r.kind}${r.detail ? ` · ${r.detail}` : ''}`)))
      : [h('li', { class: 'muted' }, 'Nothing found')]));
  };
  const pick = (i) => {
    const r = results[i];
    if (!r) return;
    list.hidden = true;
    r.go();
  };
  input.addEventListener('input', show);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') { show(); pick(0); }
    if (e.key === 'Escape') { list.hidden = true; }
  });
  return { show, results: () => results.map(({ kind, label, detail }) => ({ kind, label, detail })) };
}
