// truce basemap: the orientation layers over the country outlines (coastline, rivers, lakes and reservoirs,
// settlements named by size), offline, from the server (GET api/v1/basemap/{layer}). ES module, no build
// step; Leaflet is the global `L`. See web/README.md ("The basemap").
//
// Each feature carries `min_zoom` (scripts/derive-basemap): it is drawn from that zoom on. Settlement names
// are decluttered by LabelSet: bigger places first, a label whose box would touch one already placed is
// left out (with its dot), recomputed at the end of every zoom or move. The coalition page uses LabelSet
// for its unit labels too.

/* global L */

export const LAYERS = ['lakes', 'rivers', 'coastline', 'places'];

/** What the map's attribution gains: the sources of the layers (Natural Earth is public domain; GeoNames CC BY 4.0). */
export const ATTRIBUTION = '<a href="https://www.naturalearthdata.com/" target="_blank" rel="noopener">Natural Earth</a>'
  + ' · <a href="https://www.geonames.org/" target="_blank" rel="noopener">GeoNames</a> (CC BY 4.0)';

const WATER = '#5b93c4';
const LAKE_FILL = '#a9cde3'; // the sea's colour (style.css --sea): water reads as one thing

function riverWeight(p) {
  if (p.min_zoom < 4.5) return 1.8;
  if (p.min_zoom < 6.5) return 1.1;
  return 0.7;
}

const STYLES = {
  coastline: () => ({ color: WATER, weight: 0.9, opacity: 0.9 }),
  rivers: (p) => ({ color: WATER, weight: riverWeight(p), opacity: p.intermittent ? 0.6 : 0.9, dashArray: p.intermittent ? '4 3' : null }),
  lakes: (p) => (p.drained
    ? { color: WATER, weight: 0.8, dashArray: '4 3', fillColor: '#d8e4d0', fillOpacity: 0.6 }
    : { color: WATER, weight: 0.6, fillColor: LAKE_FILL, fillOpacity: 1 }),
};

// ---------------------------------------------------------------- labels without overlap

function intersects(a, b) {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}

function grow(box, by) {
  return { left: box.left - by, top: box.top - by, right: box.right + by, bottom: box.bottom + by };
}

/**
 * Point labels that never overlap. Items are placed in the order given (most important first); each is
 * tried right of its point, then left; one whose box touches a placed label (or an obstacle) is not shown.
 * item: {latlng, text, className?, minZoom?, dot?: radius px (0: no dot), offset?: px from the point to
 * the text, overObstacles?: may cover the obstacles (not other labels), data?}. Cheap for a few hundred candidates: one layout to measure new labels, then boxes.
 */
export class LabelSet {
  constructor(map, { pane, max = 300, gap = 3, obstacles = () => [], testid = 'map-label' } = {}) {
    this.map = map;
    this.pane = pane;
    this.max = max;
    this.gap = gap;
    this.obstacles = obstacles;
    this.testid = testid;
    this.items = [];
    this.group = L.layerGroup().addTo(map);
    this.shown = new Set();
    this.update = this.update.bind(this);
    map.on('zoomend moveend viewreset resize', this.update);
  }

  setItems(items) {
    for (const it of this.items) if (it.marker) this.group.removeLayer(it.marker);
    this.items = items;
    this.shown.clear();
    this.update();
  }

  marker(item) {
    if (item.marker) return item.marker;
    const root = document.createElement('div');
    root.className = 'map-label-anchor';
    if (item.dot) {
      const dot = document.createElement('span');
      dot.className = 'map-label-dot';
      const r = item.dot;
      Object.assign(dot.style, { left: `${-r}px`, top: `${-r}px`, width: `${2 * r}px`, height: `${2 * r}px` });
      root.append(dot);
    }
    const text = document.createElement('span');
    text.className = 'map-label-text';
    text.textContent = item.text;
    root.append(text);
    item.textEl = text;
    item.marker = L.marker(item.latlng, {
      pane: this.pane,
      interactive: false,
      keyboard: false,
      icon: L.divIcon({ className: `map-label ${item.className || ''}`, html: root, iconSize: [0, 0], iconAnchor: [0, 0] }),
    });
    return item.marker;
  }

  update() {
    const map = this.map;
    if (!map._loaded) return;
    const zoom = map.getZoom();
    const size = map.getSize();
    const view = { left: -50, top: -20, right: size.x + 50, bottom: size.y + 20 };
    const candidates = [];
    for (const it of this.items) {
      if ((it.minZoom ?? 0) > zoom) continue;
      const pt = map.latLngToContainerPoint(it.latlng);
      if (pt.x < view.left || pt.x > view.right || pt.y < view.top || pt.y > view.bottom) continue;
      candidates.push({ it, pt });
    }
    // Measure the labels never measured: on the map at once, then one layout for all.
    const fresh = candidates.filter(({ it }) => it.width == null);
    for (const { it } of fresh) this.group.addLayer(this.marker(it));
    for (const { it } of fresh) {
      it.width = it.textEl.offsetWidth;
      it.height = it.textEl.offsetHeight;
    }
    const fixed = this.obstacles().map((b) => grow(b, this.gap));
    const placed = [];
    const keep = new Set();
    for (const { it, pt } of candidates) {
      if (keep.size >= this.max) break;
      const r = it.dot || 0;
      const off = it.offset ?? r + 3;
      const top = pt.y - it.height / 2;
      const dotBox = { left: pt.x - r, top: pt.y - r, right: pt.x + r, bottom: pt.y + r };
      const sides = [
        ['right', { left: pt.x + off, top, right: pt.x + off + it.width, bottom: top + it.height }],
        ['left', { left: pt.x - off - it.width, top, right: pt.x - off, bottom: top + it.height }],
      ];
      let chosen = null;
      for (const [side, box] of sides) {
        const mine = (r ? [box, dotBox] : [box]).map((b) => grow(b, this.gap / 2));
        const blocked = (list) => list.some((p) => mine.some((m) => intersects(p, m)));
        if (!blocked(placed) && (it.overObstacles || !blocked(fixed))) { chosen = [side, box]; break; }
      }
      if (!chosen) continue;
      const [side, box] = chosen;
      placed.push(grow(box, this.gap / 2));
      if (r) placed.push(grow(dotBox, this.gap / 2));
      it.side = side;
      it.off = off;
      keep.add(it);
    }
    for (const it of this.items) {
      if (!it.marker) continue;
      const on = this.group.hasLayer(it.marker);
      if (keep.has(it)) {
        if (!on) this.group.addLayer(it.marker);
        const el = it.marker.getElement();
        it.textEl.style.left = it.side === 'right' ? `${it.off}px` : 'auto';
        it.textEl.style.right = it.side === 'left' ? `${it.off}px` : 'auto';
        if (el) {
          el.dataset.testid = this.testid;
          el.dataset.name = it.text;
        }
      } else if (on) {
        this.group.removeLayer(it.marker);
      }
    }
    this.shown = keep;
  }

  /** The labels on the map: name, data, and the text's box on screen (client pixels). */
  visible() {
    return [...this.shown].map((it) => {
      const r = it.textEl.getBoundingClientRect();
      return { name: it.text, data: it.data, box: { left: r.left, top: r.top, right: r.right, bottom: r.bottom } };
    });
  }
}

// ---------------------------------------------------------------- the layers

function placeClass(p) {
  if (p.capital === 'national') return 'place place-capital';
  if (p.population >= 300000) return 'place place-city';
  if (p.capital === 'regional' || p.population >= 50000) return 'place place-town';
  return 'place place-small';
}

function placeDot(p) {
  if (p.capital === 'national') return 4;
  if (p.population >= 300000) return 3.5;
  if (p.capital === 'regional' || p.population >= 50000) return 3;
  return 2;
}

/**
 * Draws the orientation layers on `map`: lines and areas in `pane` (created at z-index 300 if missing: above
 * the country fills, below the agreement's zones and lines), settlement names in `labelPane` (z-index 340).
 * `api(path)` returns the JSON of `api/v1/<path>` (the page's authenticated fetch). Resolves to a handle
 * for tests, also at `window.truceBasemap`; a layer the server does not have is skipped and named in
 * `failed`.
 */
export async function addBasemap(map, { api, pane = 'basemapDetail', labelPane = 'basemapLabels' } = {}) {
  if (!map.getPane(pane)) map.createPane(pane).style.zIndex = 300;
  if (!map.getPane(labelPane)) {
    map.createPane(labelPane).style.zIndex = 340;
    map.getPane(labelPane).style.pointerEvents = 'none';
  }
  map.attributionControl?.addAttribution(ATTRIBUTION);
  const renderer = L.svg({ pane, padding: 0.5 });
  const bands = []; // {zoom, group, layer}
  const features = { coastline: [], rivers: [], lakes: [], places: [] };
  // The country names (app.js, `.country-label`) stay readable: place names keep clear of them.
  const countryNames = () => {
    const c = map.getContainer().getBoundingClientRect();
    return [...map.getContainer().querySelectorAll('.country-label span')].map((el) => {
      const r = el.getBoundingClientRect();
      return { left: r.left - c.left, top: r.top - c.top, right: r.right - c.left, bottom: r.bottom - c.top };
    });
  };
  const labels = new LabelSet(map, { pane: labelPane, testid: 'place-label', obstacles: countryNames });
  const failed = [];

  const results = await Promise.allSettled(LAYERS.map((name) => api(`basemap/${name}`)));
  results.forEach((res, i) => {
    const name = LAYERS[i];
    if (res.status !== 'fulfilled' || !Array.isArray(res.value?.features)) {
      failed.push(`${name}: ${res.reason?.message || 'not a FeatureCollection'}`);
      return;
    }
    if (name === 'places') {
      labels.setItems(res.value.features.map((f) => {
        const p = f.properties || {};
        const [lon, lat] = f.geometry.coordinates;
        features.places.push({ ...p, lat, lon });
        return {
          latlng: L.latLng(lat, lon),
          text: p.name,
          minZoom: p.min_zoom,
          dot: placeDot(p),
          overObstacles: p.capital === 'national' || p.population >= 300000,
          className: placeClass(p),
          data: { population: p.population, country: p.country, capital: p.capital || null, rank: p.rank },
        };
      }));
      return;
    }
    const byZoom = new Map();
    for (const f of res.value.features) {
      const p = f.properties || {};
      const zoom = Math.floor(p.min_zoom ?? 0);
      if (!byZoom.has(zoom)) byZoom.set(zoom, []);
      byZoom.get(zoom).push(f);
      features[name].push({ name: p.name || null, minZoom: p.min_zoom ?? 0, feature: f });
    }
    for (const [zoom, list] of [...byZoom].sort((a, b) => a[0] - b[0])) {
      const group = L.geoJSON({ type: 'FeatureCollection', features: list }, {
        pane, renderer, interactive: false, style: (f) => STYLES[name](f.properties || {}),
      });
      bands.push({ zoom, group, layer: name });
    }
  });
  // Lakes under rivers under the coastline, each in order of zoom.
  bands.sort((a, b) => LAYERS.indexOf(a.layer) - LAYERS.indexOf(b.layer) || a.zoom - b.zoom);

  function showBands() {
    const z = map.getZoom();
    for (const b of bands) {
      const on = map.hasLayer(b.group);
      if (b.zoom <= z && !on) b.group.addTo(map);
      else if (b.zoom > z && on) map.removeLayer(b.group);
    }
    // Keep the order when a band comes back: lower layers first.
    for (const b of bands) if (map.hasLayer(b.group)) b.group.bringToFront();
  }
  map.on('zoomend', showBands);
  showBands();
  labels.update();

  const handle = {
    failed,
    labels,
    /** Names of the features of `layer` drawn now and crossing the view. */
    visible(layer) {
      const z = map.getZoom();
      const view = map.getBounds();
      if (layer === 'places') return labels.visible().map((l) => l.name);
      return features[layer]
        .filter((x) => Math.floor(x.minZoom) <= z && view.intersects(L.geoJSON(x.feature).getBounds()))
        .map((x) => x.name)
        .filter(Boolean);
    },
    /** Every settlement, biggest first: {name, lat, lon, population, country} (for the search box). */
    places() {
      return features.places.map(({ name, lat, lon, population, country }) => ({ name, lat, lon, population, country }));
    },
    counts() {
      return Object.fromEntries(Object.entries(features).map(([k, v]) => [k, v.length]));
    },
  };
  window.truceBasemap = handle;
  return handle;
}
