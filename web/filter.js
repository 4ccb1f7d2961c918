// The map's filter: what the watch officer asked to see, as one plain object that lives in the page's
// URL (so a view can be shared and survives a reload) and in localStorage (so a bare URL opens on the
// last view). The same object gives the API's query parameters (the server filters the list, the
// counts and the export with exactly these) and a predicate for what arrives live, which mirrors the
// server's rule so that a live observation is drawn only when a reload would draw it too.
//
// Pure functions and no DOM except `readFilter`/`writeFilter` (location, history, localStorage): the
// panel that edits it is in workspace.js.

/** The observer's means, as truce-core's vocabulary has them (the API refuses any other). */
export const MEANS = ['patrol', 'fixed_camera', 'uav', 'sensor', 'tak_device', 'ship', 'aircraft', 'import'];

/** Time windows the panel offers; `custom` takes `since` and `until`. */
export const WINDOWS = {
  '24h': { label: 'Last 24 hours', days: 1 },
  '7d': { label: 'Last 7 days', days: 7 },
  '30d': { label: 'Last 30 days', days: 30 },
  all: { label: 'Everything', days: null },
  custom: { label: 'From … to …', days: null },
};

const LISTS = ['category', 'violation', 'means', 'party', 'marking'];
const STORAGE_KEY = 'truce.filter';
const MAX_POLYGON = 1000;

/** The filter a fresh page starts with: the last 7 days, everything in them. */
export function emptyFilter() {
  return {
    window: '7d', since: null, until: null, area: null, sector: '', nation: '',
    category: [], violation: [], means: [], party: [], marking: [],
  };
}

function parseBbox(s) {
  const v = String(s).split(',').map(Number);
  if (v.length !== 4 || !v.every(Number.isFinite)) return null;
  const [w, so, e, n] = v;
  if (w >= e || so >= n || so < -90 || n > 90 || w < -180 || e > 180) return null;
  return v;
}

function parsePolygon(s) {
  const pts = String(s).split(';').map((p) => p.split(',').map(Number));
  if (pts.length < 3 || pts.length > MAX_POLYGON) return null;
  if (!pts.every((p) => p.length === 2 && p.every(Number.isFinite) && Math.abs(p[0]) <= 180 && Math.abs(p[1]) <= 90)) return null;
  return pts;
}

function parseTime(s) {
  if (!s) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

/** The filter in URL search parameters (unknown or malformed values are dropped, not guessed). */
export function fromParams(q) {
  const f = emptyFilter();
  const w = q.get('window');
  if (w && Object.hasOwn(WINDOWS, w)) f.window = w;
  f.since = parseTime(q.get('since'));
  f.until = parseTime(q.get('until'));
  if (f.since || f.until) f.window = 'custom';
  for (const k of LISTS) {
    const v = q.get(k);
    if (v) f[k] = [...new Set(v.split(',').map((x) => x.trim()).filter(Boolean))];
  }
  f.means = f.means.filter((m) => MEANS.includes(m));
  f.marking = f.marking.filter((m) => /^[0-4]$/.test(m));
  const nation = (q.get('nation') || '').toUpperCase();
  if (/^[A-Z]{3}$/.test(nation)) f.nation = nation;
  const sector = q.get('sector') || '';
  if (/^[A-Za-z0-9_.-]{1,64}$/.test(sector)) f.sector = sector;
  const bbox = q.get('bbox') && parseBbox(q.get('bbox'));
  const polygon = q.get('polygon') && parsePolygon(q.get('polygon'));
  if (polygon) f.area = { type: 'polygon', points: polygon };
  else if (bbox) f.area = { type: 'bbox', bbox };
  return f;
}

/** The filter as the page's own URL parameters (what a shared link carries). */
export function toParams(f) {
  const q = new URLSearchParams();
  if (f.window === 'custom') {
    if (f.since) q.set('since', f.since);
    if (f.until) q.set('until', f.until);
  } else if (f.window !== '7d') {
    q.set('window', f.window);
  }
  for (const k of LISTS) if (f[k].length) q.set(k, f[k].join(','));
  if (f.nation) q.set('nation', f.nation);
  if (f.sector) q.set('sector', f.sector);
  if (f.area?.type === 'bbox') q.set('bbox', f.area.bbox.map((x) => round6(x)).join(','));
  if (f.area?.type === 'polygon') q.set('polygon', f.area.points.map((p) => `${round6(p[0])},${round6(p[1])}`).join(';'));
  return q;
}

const round6 = (x) => Math.round(x * 1e6) / 1e6;

/** The filter of the page's URL, else the last one used in this browser, else the empty one. */
export function readFilter() {
  const here = new URLSearchParams(location.search);
  const keys = [...here.keys()].filter((k) => k !== 'replay');
  if (keys.length) return fromParams(here);
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved) return fromParams(new URLSearchParams(saved));
  } catch {
    // Storage refused (private mode): the URL alone carries the view.
  }
  return emptyFilter();
}

/** Puts the filter in the URL (without a new history entry) and in localStorage. */
export function writeFilter(f) {
  const q = toParams(f);
  const url = new URL(location.href);
  url.search = q.toString();
  history.replaceState(history.state, '', url);
  try {
    localStorage.setItem(STORAGE_KEY, q.toString());
  } catch {
    // See readFilter.
  }
}

/**
 * The time window the filter means at `now`: `{since, until}` as Dates (`until` null: open, live).
 * `defaultSince` is the page's default start for the 7-day window (whole UTC days, or the 7 days that
 * end with the newest data when that is older).
 */
export function windowOf(f, now, defaultSince) {
  if (f.window === 'custom') {
    return { since: f.since ? new Date(f.since) : null, until: f.until ? new Date(f.until) : null };
  }
  if (f.window === '7d' && defaultSince) return { since: defaultSince, until: null };
  const days = WINDOWS[f.window]?.days;
  if (!days) return { since: null, until: null };
  return { since: new Date(now - days * 86400_000), until: null };
}

/** The API's query parameters for the filter (observations, stats, export). */
export function apiParams(f, win) {
  const q = new URLSearchParams();
  const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (win.since) q.set('since', iso(win.since));
  if (win.until) q.set('until', iso(win.until));
  for (const k of LISTS) if (f[k].length) q.set(k, f[k].join(','));
  if (f.nation) q.set('nation', f.nation);
  if (f.sector) q.set('sector', f.sector);
  if (f.area?.type === 'bbox') q.set('bbox', f.area.bbox.join(','));
  if (f.area?.type === 'polygon') q.set('polygon', f.area.points.map((p) => p.join(',')).join(';'));
  return q;
}

/** Whether any filter beyond the time window is set. */
export function narrowed(f) {
  return Boolean(f.area || f.sector || f.nation || LISTS.some((k) => f[k].length));
}

/** Inside the polygon (lon/lat plane, edges counted in), as the server decides. */
export function inPolygon(lon, lat, pts) {
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i];
    const [xj, yj] = pts[j];
    // On an edge: inside.
    const cross = (xj - xi) * (lat - yi) - (yj - yi) * (lon - xi);
    if (Math.abs(cross) < 1e-12 && lon >= Math.min(xi, xj) && lon <= Math.max(xi, xj)
      && lat >= Math.min(yi, yj) && lat <= Math.max(yi, yj)) return true;
    if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Whether a point is inside the filter's area (no area: everywhere). */
export function inArea(f, lat, lon) {
  if (!f.area) return true;
  if (f.area.type === 'bbox') {
    const [w, s, e, n] = f.area.bbox;
    return lon >= w && lon <= e && lat >= s && lat <= n;
  }
  return inPolygon(lon, lat, f.area.points);
}

/**
 * Whether an observation that arrives live belongs to the filtered view. `markings` is the vocabulary's
 * list (rank = index); `release` the vocabulary's release codes, for the nation filter (`releasableTo`:
 * without them, no observation passes a nation filter until the view is loaded again).
 */
export function matches(o, f, win, markings, release) {
  const t = Date.parse(o.time);
  if (win.since && !(t >= win.since.getTime())) return false;
  if (win.until && !(t < win.until.getTime())) return false;
  if (!inArea(f, Number(o.lat), Number(o.lon))) return false;
  // The stream gives each observation the sector the server's warning counts it in (none: no `sector`).
  if (f.sector && o.sector !== f.sector) return false;
  if (f.category.length && !f.category.includes(o.category)) return false;
  if (f.violation.length) {
    const codes = (o.classification?.violations || []).map((v) => v.code);
    if (!codes.some((c) => f.violation.includes(c))) return false;
  }
  if (f.means.length && !f.means.includes(o.observer?.means)) return false;
  if (f.party.length && !f.party.includes(o.party || 'none')) return false;
  if (!markingMatches(o.marking, f, markings)) return false;
  return !f.nation || releasableTo(o.releasable_to, o.time, f.nation, release);
}

/** Whether a record's marking is among the filter's classification levels (`markings`: rank = index). */
function markingMatches(marking, f, markings) {
  if (!f.marking.length) return true;
  const rank = markings.indexOf(String(marking || 'NATO UNCLASSIFIED').toUpperCase());
  return f.marking.includes(String(Math.max(rank, 0)));
}

/**
 * Whether a record releasable to `codes` (its `releasable_to`) whose time is `time` is releasable to
 * `nation`, as the server's access rule reads it: `release` is the vocabulary's `release` (the label
 * policy's codes). No code means the policy's default release; the public code releases to everyone; a
 * group releases to its members on the record's own day (UTC); any other code is a nation (or nobody).
 */
export function releasableTo(codes, time, nation, release) {
  const t = Date.parse(time);
  if (!release || !Number.isFinite(t)) return false;
  const list = Array.isArray(codes) && codes.length ? codes : release.default || [];
  const day = new Date(t).toISOString().slice(0, 10);
  return list.some((code) => {
    if (code === release.public || code === nation) return true;
    const spans = release.groups?.[code]?.members?.[nation];
    return Array.isArray(spans) && spans.some((s) => (!s.from || day >= s.from) && (!s.until || day < s.until));
  });
}

/**
 * Whether a track's report (or a geofence event) belongs to the filtered view: in the area, in the
 * sector (the server gives each its `sector`), at one of the classification levels and releasable to
 * the nation. Means are the caller's (a track's layer says them); the time window does not apply to the
 * live picture.
 */
export function trackMatches(t, f, markings, release) {
  if (!inArea(f, Number(t.lat), Number(t.lon))) return false;
  if (f.sector && t.sector !== f.sector) return false;
  if (!markingMatches(t.marking, f, markings)) return false;
  return !f.nation || releasableTo(t.releasable_to, t.time, f.nation, release);
}
