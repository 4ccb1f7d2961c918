// The observation layer of the live map: every observation of the view, clustered in screen pixels at
// the map's zoom and drawn as a few hundred DOM symbols at most, whatever the number held.
//
// Design. The points live in flat typed arrays (Web Mercator x and y in [0, 1], the severity rank), one
// slot per observation, a removed one's slot taken by the last. A draw, at most once per animation frame
// and only when the map is at rest (after a pan, a zoom, or a change of the data), walks every point once:
// those inside the view and half a view around it fall into square cells of `cellSize(zoom)` pixels of
// the world at that zoom, each cell keeping its count, the sum of its positions and its worst rank. The
// cells are then merged greedily, the fullest first, with any other within one cell size of their
// centroid, until no two symbols' centres are closer than that: since the largest symbol is narrower
// than a cell, symbols never overlap. A cell of one is the observation's own marker. Walking 100,000
// points is a few milliseconds, so there is no hierarchy to build when observations load or arrive and
// nothing to keep for zooms not shown. The grid is anchored to the world, not the view, so a pan keeps
// the clusters it had and adds those coming into view; their elements are kept by key and only moved.
//
// What the map asks of it: the selected observation is always drawn alone, over the rest; a click on a
// marker selects its observation; a click on a cluster zooms to its observations, or, where they cannot
// be told apart (the map's last zoom, or one spot), lists them in a popup; a new observation's symbol, or
// its cluster's, flashes. During the map's zoom animation the layer is scaled with it (the transform
// Leaflet gives its own animated layers) and drawn again once the zoom ends.

/* global L */

const WORLD = 256;
/** Cell keys: x * 2^22 + y, exact for the 2^18 · 256 / 30 cells a side of the deepest zoom. */
const KEY_Y = 4194304;
/** Observations listed in the popup of a cluster that cannot be split further. */
const LIST_MAX = 25;

const mercX = (lon) => (lon + 180) / 360;
function mercY(lat) {
  const s = Math.sin((Math.max(-85.0511, Math.min(85.0511, lat)) * Math.PI) / 180);
  return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
}

/**
 * Makes the layer. `opts`:
 * - `cellSize(zoom)`: the cluster cell in pixels (also the least distance between two symbols' centres);
 * - `markerClass(item, selected)` and `markerSize(item)`: a single observation's symbol;
 * - `clusterClass(n, rank)` and `clusterSize(n)`: a cluster's;
 * - `title(item)`: a marker's tooltip and its line in a cluster's list;
 * - `onSelect(id)`: a click on a marker or on a listed observation.
 */
export function observationLayer(opts) {
  const Layer = L.Layer.extend({
    initialize() {
      this._cap = 0;
      this._n = 0;
      this._ids = [];
      this._items = [];
      this._mx = new Float64Array(0);
      this._my = new Float64Array(0);
      this._rank = new Uint8Array(0);
      this._slot = new Map();
      this._selected = null;
      this._els = new Map(); // key -> element drawn
      this._drawn = new Map(); // key -> what it stands for
      this._cellOf = new Map(); // cell key -> cluster key, of the last draw
      this._cell = 0;
      this._flashes = new Set();
      this._frame = 0;
      this._waiters = [];
      this.draws = 0;
      this._version = 0;
      this._stamp = '';
    },

    onAdd(map) {
      this._container = L.DomUtil.create('div', 'obs-layer leaflet-zoom-animated');
      map.getPane('markerPane').appendChild(this._container);
      L.DomEvent.on(this._container, 'click', this._onClick, this);
      L.DomEvent.on(this._container, 'dblclick', L.DomEvent.stopPropagation);
      this._redraw();
    },

    onRemove() {
      cancelAnimationFrame(this._frame);
      this._frame = 0;
      L.DomUtil.remove(this._container);
      this._els.clear();
      this._drawn.clear();
      this._cellOf.clear();
      this._release();
    },

    getEvents() {
      return { zoomanim: this._onZoomAnim, moveend: this._redraw, viewreset: this._redraw, resize: this._redraw };
    },

    // ---------------------------------------------------------------- data

    /** Adds or replaces an observation. `rank`: 0 the most severe, up to 255. */
    set(id, item, lat, lon, rank) {
      let i = this._slot.get(id);
      if (i === undefined) {
        if (this._n === this._cap) this._grow();
        i = this._n++;
        this._slot.set(id, i);
        this._ids[i] = id;
      }
      this._items[i] = item;
      this._mx[i] = mercX(lon);
      this._my[i] = mercY(lat);
      this._rank[i] = Math.max(0, Math.min(255, rank));
      this._soon();
    },

    remove(id) {
      const i = this._slot.get(id);
      if (i === undefined) return;
      const last = --this._n;
      if (i !== last) {
        const moved = this._ids[last];
        this._ids[i] = moved;
        this._items[i] = this._items[last];
        this._mx[i] = this._mx[last];
        this._my[i] = this._my[last];
        this._rank[i] = this._rank[last];
        this._slot.set(moved, i);
      }
      this._ids.length = last;
      this._items.length = last;
      this._slot.delete(id);
      if (this._selected === id) this._selected = null;
      this._soon();
    },

    clear() {
      this._n = 0;
      this._ids = [];
      this._items = [];
      this._slot.clear();
      this._selected = null;
      this._soon();
    },

    /** The observations held. (A method: Leaflet's extend copies a getter's value, not the getter.) */
    count() { return this._n; },
    has(id) { return this._slot.has(id); },
    get(id) {
      const i = this._slot.get(id);
      return i === undefined ? undefined : this._items[i];
    },
    ids() { return this._ids.slice(0, this._n); },
    items() { return this._items.slice(0, this._n); },

    /** Draws `id` alone and marked as selected (null: none). */
    select(id) {
      this._selected = id && this._slot.has(id) ? id : null;
      this._soon();
    },

    /**
     * The least zoom at which `id` stands alone: no other observation within two cells of it, so that
     * no cluster takes it (the map's last zoom when others share its place).
     */
    separateZoom(id) {
      const i = this._slot.get(id);
      const max = this._map ? this._map.getMaxZoom() : 18;
      if (i === undefined) return max;
      let near = Infinity; // the squared distance to the nearest other, in world units
      for (let j = 0; j < this._n; j++) {
        if (j === i) continue;
        const dx = this._mx[j] - this._mx[i];
        const dy = this._my[j] - this._my[i];
        const d = dx * dx + dy * dy;
        if (d < near) near = d;
      }
      for (let z = 0; z < max; z++) {
        const px = Math.sqrt(near) * WORLD * 2 ** z;
        if (px >= 2 * opts.cellSize(z)) return z;
      }
      return max;
    },

    /** Flashes the symbol that shows `id` once it is drawn. */
    flash(id) {
      this._flashes.add(id);
      this._soon();
    },

    /** Resolves after the next draw (at once when nothing waits to be drawn and the map is at rest). */
    drawn() {
      if (!this._map) return Promise.resolve();
      if (!this._frame && !this._map._animatingZoom) return Promise.resolve();
      return new Promise((resolve) => this._waiters.push(resolve));
    },

    /** The symbols drawn: {clusters, markers, largest}. */
    stats() {
      let clusters = 0; let markers = 0; let largest = 0;
      for (const d of this._drawn.values()) {
        if (d.n > 1) { clusters++; largest = Math.max(largest, d.n); } else markers++;
      }
      return { clusters, markers, largest, draws: this.draws };
    },

    _grow() {
      const cap = Math.max(1024, this._cap * 2);
      const mx = new Float64Array(cap); mx.set(this._mx);
      const my = new Float64Array(cap); my.set(this._my);
      const rank = new Uint8Array(cap); rank.set(this._rank);
      this._mx = mx; this._my = my; this._rank = rank; this._cap = cap;
    },

    _soon() {
      this._version++;
      if (!this._map || this._frame) return;
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this._redraw();
      });
    },

    _release() {
      const waiters = this._waiters.splice(0);
      for (const w of waiters) w();
    },

    // ---------------------------------------------------------------- drawing

    _onZoomAnim(e) {
      const map = this._map;
      if (!this._origin) return;
      const scale = map.getZoomScale(e.zoom, this._zoom);
      const offset = this._origin.multiplyBy(scale).subtract(map._getNewPixelOrigin(e.center, e.zoom)).round();
      L.DomUtil.setTransform(this._container, offset, scale);
    },

    _redraw() {
      const map = this._map;
      if (!map || map._animatingZoom) return;
      if (this._frame) { cancelAnimationFrame(this._frame); this._frame = 0; }
      const zoom = map.getZoom();
      const origin = map.getPixelOrigin();
      const pane = map._getMapPanePos();
      const size = map.getSize();
      // A view reset fires both moveend and viewreset: the second draw would be the first's again.
      const stamp = `${zoom}|${origin.x},${origin.y}|${pane.x},${pane.y}|${size.x},${size.y}|${this._version}`;
      if (stamp === this._stamp) { this._release(); return; }
      this._stamp = stamp;
      this._zoom = zoom;
      this._origin = origin;
      L.DomUtil.setTransform(this._container, L.point(0, 0), 1);
      const clusters = this._cluster(zoom, origin);
      this._render(clusters, origin);
      this.draws++;
      this._applyFlashes();
      this._release();
    },

    /** The clusters of the view at `zoom`: {key, n, x, y (world pixels), rank, slot (of a single)}. */
    _cluster(zoom, origin) {
      const map = this._map;
      const scale = WORLD * 2 ** zoom;
      const cell = opts.cellSize(zoom);
      const size = map.getSize();
      const pane = map._getMapPanePos();
      const x0 = origin.x - pane.x - size.x / 2; const x1 = x0 + size.x * 2;
      const y0 = origin.y - pane.y - size.y / 2; const y1 = y0 + size.y * 2;
      const sel = this._selected == null ? -1 : this._slot.get(this._selected);
      const cells = new Map();
      const { _mx: mx, _my: my, _rank: rank } = this;
      for (let i = 0; i < this._n; i++) {
        if (i === sel) continue;
        const x = mx[i] * scale;
        if (x < x0 || x > x1) continue;
        const y = my[i] * scale;
        if (y < y0 || y > y1) continue;
        const key = Math.floor(x / cell) * KEY_Y + Math.floor(y / cell);
        const c = cells.get(key);
        if (c) {
          c.n++; c.sx += x; c.sy += y;
          if (rank[i] < c.rank) c.rank = rank[i];
        } else {
          cells.set(key, { key, cells: [key], n: 1, sx: x, sy: y, rank: rank[i], slot: i, into: null });
        }
      }
      const merged = mergeClose([...cells.values()], cell);
      this._cell = cell;
      this._scale = scale;
      this._cellOf = new Map();
      for (const c of merged) for (const k of c.cells) this._cellOf.set(k, c);
      const out = merged.map((c) => ({ key: c.key, n: c.n, x: c.sx / c.n, y: c.sy / c.n, rank: c.rank, slot: c.slot, cells: c.cells }));
      if (sel >= 0) out.push({ key: null, n: 1, x: mx[sel] * scale, y: my[sel] * scale, rank: rank[sel], slot: sel, selected: true });
      return out;
    },

    _render(clusters, origin) {
      const next = new Map();
      const drawn = new Map();
      for (const c of clusters) {
        const id = c.n === 1 ? this._ids[c.slot] : null;
        const key = symbolKey(c, id);
        let el = this._els.get(key);
        if (!el) {
          el = c.n === 1
            ? this._markerEl(id, this._items[c.slot], c.selected)
            : clusterEl(c.n, opts.clusterClass(c.n, c.rank), opts.clusterSize(c.n));
          el.dataset.key = key;
        }
        // An observation replaced by a new version keeps its element (its key has its rank): its words may
        // have changed.
        if (c.n === 1 && el.item !== this._items[c.slot]) {
          el.item = this._items[c.slot];
          el.title = opts.title(el.item);
        }
        L.DomUtil.setPosition(el, L.point(Math.round(c.x - origin.x), Math.round(c.y - origin.y)));
        if (el.parentNode !== this._container) this._container.appendChild(el);
        next.set(key, el);
        drawn.set(key, c);
      }
      for (const [key, el] of this._els) if (!next.has(key) || next.get(key) !== el) el.remove();
      // The selected observation over the rest.
      const sel = clusters.find((c) => c.selected);
      if (sel) this._container.appendChild(next.get(symbolKey(sel, this._ids[sel.slot])));
      this._els = next;
      this._drawn = drawn;
    },

    _markerEl(id, item, selected) {
      const size = opts.markerSize(item);
      const el = L.DomUtil.create('div', `leaflet-marker-icon leaflet-interactive obs-marker ${opts.markerClass(item, selected)}`);
      el.appendChild(document.createElement('span'));
      Object.assign(el.style, { width: `${size}px`, height: `${size}px`, marginLeft: `${-size / 2}px`, marginTop: `${-size / 2}px` });
      el.dataset.obsId = id;
      el.dataset.testid = 'obs-marker';
      if (selected) el.style.zIndex = '1';
      return el;
    },

    _applyFlashes() {
      if (!this._flashes.size) return;
      for (const id of this._flashes) {
        const el = this._elementOf(id);
        if (!el) continue;
        el.classList.remove('flash');
        void el.offsetWidth; // restart the animation
        el.classList.add('flash');
        setTimeout(() => el.classList.remove('flash'), 2500);
      }
      this._flashes.clear();
    },

    /** The element that shows `id` now: its own marker or its cluster's symbol. */
    _elementOf(id) {
      const i = this._slot.get(id);
      if (i === undefined) return null;
      if (id === this._selected) return this._els.get(symbolKey({ n: 1, selected: true, rank: this._rank[i] }, id)) || null;
      const c = this._cellOf.get(this._cellKey(i));
      return (c && this._els.get(symbolKey(c, id))) || null;
    },

    // ---------------------------------------------------------------- input

    _onClick(e) {
      L.DomEvent.stopPropagation(e);
      const map = this._map;
      if (map.dragging && map.dragging.moved()) return;
      const el = e.target.closest('[data-key]');
      const c = el && this._drawn.get(el.dataset.key);
      if (!c) return;
      if (c.n === 1) { opts.onSelect(this._ids[c.slot]); return; }
      const members = this._members(c);
      const b = L.latLngBounds(members.map((i) => this._latLng(i)));
      const zoom = map.getBoundsZoom(b, false, L.point(60, 60));
      const split = zoom > map.getZoom() && !b.getNorthEast().equals(b.getSouthWest());
      if (split && map.getZoom() < map.getMaxZoom()) {
        map.fitBounds(b, { padding: [30, 30], maxZoom: map.getMaxZoom() });
        return;
      }
      this._list(members, map.layerPointToLatLng(L.point(c.x - this._origin.x, c.y - this._origin.y)));
    },

    /** The slots of a drawn cluster's observations. */
    _members(c) {
      const cells = new Set(c.cells);
      const out = [];
      const sel = this._selected == null ? -1 : this._slot.get(this._selected);
      for (let i = 0; i < this._n; i++) {
        if (i === sel) continue;
        if (cells.has(this._cellKey(i))) out.push(i);
      }
      return out;
    },

    /** The cell of slot `i` in the last draw. */
    _cellKey(i) {
      return Math.floor((this._mx[i] * this._scale) / this._cell) * KEY_Y + Math.floor((this._my[i] * this._scale) / this._cell);
    },

    _latLng(i) {
      const lon = this._mx[i] * 360 - 180;
      const lat = (Math.atan(Math.sinh(Math.PI * (1 - 2 * this._my[i]))) * 180) / Math.PI;
      return L.latLng(lat, lon);
    },

    _list(slots, at) {
      slots.sort((a, b) => this._rank[a] - this._rank[b]);
      const box = L.DomUtil.create('div', 'obs-list');
      const head = L.DomUtil.create('b', '', box);
      head.textContent = `${slots.length.toLocaleString('en-GB')} observations here`;
      const ul = L.DomUtil.create('ul', 'plain', box);
      for (const i of slots.slice(0, LIST_MAX)) {
        const id = this._ids[i];
        const b = L.DomUtil.create('button', 'link-button', L.DomUtil.create('li', '', ul));
        b.type = 'button';
        b.dataset.obsId = id;
        b.textContent = opts.title(this._items[i]);
        b.addEventListener('click', () => { this._map.closePopup(); opts.onSelect(id); });
      }
      if (slots.length > LIST_MAX) L.DomUtil.create('div', 'muted small', box).textContent = `and ${slots.length - LIST_MAX} more: zoom in or narrow the filter`;
      L.popup({ maxWidth: 360 }).setLatLng(at).setContent(box).openOn(this._map);
    },
  });
  return new Layer();
}

/** The key of a drawn symbol: an element is reused for the same key. */
function symbolKey(c, id) {
  return c.n === 1 ? `o|${c.selected ? 's' : ''}|${c.rank}|${id}` : `c|${c.key}|${c.n}|${c.rank}`;
}

function clusterEl(n, cls, size) {
  const el = L.DomUtil.create('div', `leaflet-marker-icon leaflet-interactive obs-cluster ${cls}`);
  Object.assign(el.style, { width: `${size}px`, height: `${size}px`, marginLeft: `${-size / 2}px`, marginTop: `${-size / 2}px` });
  const inner = document.createElement('div');
  const label = document.createElement('span');
  label.textContent = String(n);
  inner.appendChild(label);
  el.appendChild(inner);
  el.dataset.testid = 'obs-cluster';
  el.dataset.count = String(n);
  el.title = `${n.toLocaleString('en-GB')} observations: click to zoom in`;
  return el;
}

/**
 * Merges clusters whose centroids are closer than `dist` pixels, the fullest first, until none are:
 * each pass hashes the clusters by centroid into cells of `dist` and looks at the 3 × 3 around each.
 */
function mergeClose(list, dist) {
  const d2 = dist * dist;
  for (let pass = 0; pass < 4; pass++) {
    list.sort((a, b) => b.n - a.n);
    const grid = new Map();
    for (const c of list) {
      const k = Math.floor(c.sx / c.n / dist) * KEY_Y + Math.floor(c.sy / c.n / dist);
      const bucket = grid.get(k);
      if (bucket) bucket.push(c); else grid.set(k, [c]);
      c.into = null;
    }
    let merges = 0;
    for (const c of list) {
      if (c.into) continue;
      const cx = Math.floor(c.sx / c.n / dist);
      const cy = Math.floor(c.sy / c.n / dist);
      for (let dx = -1; dx <= 1; dx++) {
        for (let dy = -1; dy <= 1; dy++) {
          const bucket = grid.get((cx + dx) * KEY_Y + (cy + dy));
          if (!bucket) continue;
          for (const o of bucket) {
            if (o === c || o.into) continue;
            const ex = o.sx / o.n - c.sx / c.n;
            const ey = o.sy / o.n - c.sy / c.n;
            if (ex * ex + ey * ey >= d2) continue;
            c.n += o.n; c.sx += o.sx; c.sy += o.sy;
            if (o.rank < c.rank) c.rank = o.rank;
            for (const k of o.cells) c.cells.push(k);
            o.into = c;
            merges++;
          }
        }
      }
    }
    if (!merges) break;
    list = list.filter((c) => !c.into);
  }
  return list;
}
