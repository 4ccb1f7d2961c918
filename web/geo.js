// Geodesy for the map's tools, on the WGS84 ellipsoid: the distance and bearings between two points
// (Vincenty's inverse formula, iterated to 1e-12 rad, about 0.1 mm; it does not converge for nearly
// antipodal points, which a map of one theatre never measures, and says so by returning null), and
// the UTM projection (Krüger's series to the fourth order, under a millimetre within a zone) that the
// MGRS grid is drawn in. Plain functions, no DOM.

const A = 6378137;
const F = 1 / 298.257223563;
const B = A * (1 - F);
const RAD = Math.PI / 180;

/**
 * Geodesic distance (metres) and the initial and final bearings (degrees clockwise from true north)
 * from (lat1, lon1) to (lat2, lon2); null when the iteration does not converge.
 */
export function inverse(lat1, lon1, lat2, lon2) {
  const L = (lon2 - lon1) * RAD;
  const U1 = Math.atan((1 - F) * Math.tan(lat1 * RAD));
  const U2 = Math.atan((1 - F) * Math.tan(lat2 * RAD));
  const sinU1 = Math.sin(U1); const cosU1 = Math.cos(U1);
  const sinU2 = Math.sin(U2); const cosU2 = Math.cos(U2);
  let lambda = L;
  for (let i = 0; i < 200; i++) {
    const sinL = Math.sin(lambda); const cosL = Math.cos(lambda);
    const sinSigma = Math.hypot(cosU2 * sinL, cosU1 * sinU2 - sinU1 * cosU2 * cosL);
    if (sinSigma === 0) return { distance: 0, bearing: 0, final: 0 };
    const cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosL;
    const sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = (cosU1 * cosU2 * sinL) / sinSigma;
    const cos2Alpha = 1 - sinAlpha * sinAlpha;
    const cos2SigmaM = cos2Alpha === 0 ? 0 : cosSigma - (2 * sinU1 * sinU2) / cos2Alpha;
    const C = (F / 16) * cos2Alpha * (4 + F * (4 - 3 * cos2Alpha));
    const prev = lambda;
    lambda = L + (1 - C) * F * sinAlpha
      * (sigma + C * sinSigma * (cos2SigmaM + C * cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)));
    if (Math.abs(lambda - prev) < 1e-12) {
      const u2 = (cos2Alpha * (A * A - B * B)) / (B * B);
      const a = 1 + (u2 / 16384) * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
      const b = (u2 / 1024) * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
      const dSigma = b * sinSigma * (cos2SigmaM + (b / 4) * (cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)
        - (b / 6) * cos2SigmaM * (-3 + 4 * sinSigma * sinSigma) * (-3 + 4 * cos2SigmaM * cos2SigmaM)));
      const sl = Math.sin(lambda); const cl = Math.cos(lambda);
      const az1 = Math.atan2(cosU2 * sl, cosU1 * sinU2 - sinU1 * cosU2 * cl);
      const az2 = Math.atan2(cosU1 * sl, -sinU1 * cosU2 + cosU1 * sinU2 * cl);
      return { distance: B * a * (sigma - dSigma), bearing: norm360(az1 / RAD), final: norm360(az2 / RAD) };
    }
  }
  return null;
}

const norm360 = (d) => ((d % 360) + 360) % 360;

// Krüger series coefficients (n = third flattening).
const N = F / (2 - F);
const AA = (A / (1 + N)) * (1 + (N * N) / 4 + (N ** 4) / 64);
const ALPHA = [N / 2 - (2 / 3) * N * N + (5 / 16) * N ** 3, (13 / 48) * N * N - (3 / 5) * N ** 3, (61 / 240) * N ** 3];
const BETA = [N / 2 - (2 / 3) * N * N + (37 / 96) * N ** 3, (1 / 48) * N * N + (1 / 15) * N ** 3, (17 / 480) * N ** 3];
const DELTA = [2 * N - (2 / 3) * N * N - 2 * N ** 3, (7 / 3) * N * N - (8 / 5) * N ** 3, (56 / 15) * N ** 3];
const K0 = 0.9996;
const E0 = 500000;

/** The UTM zone (1..60) of a longitude; Norway's and Svalbard's exceptions are not in this theatre. */
export const utmZone = (lon) => Math.min(60, Math.max(1, Math.floor((lon + 180) / 6) + 1));
/** The central meridian of a zone. */
export const centralMeridian = (zone) => zone * 6 - 183;

/** (lat, lon) to UTM easting and northing (northern hemisphere) in `zone`. */
export function toUtm(lat, lon, zone = utmZone(lon)) {
  const phi = lat * RAD;
  const dl = (lon - centralMeridian(zone)) * RAD;
  const e = Math.sqrt(F * (2 - F));
  const t = Math.sinh(Math.atanh(Math.sin(phi)) - e * Math.atanh(e * Math.sin(phi)));
  const xi = Math.atan2(t, Math.cos(dl));
  const eta = Math.atanh(Math.sin(dl) / Math.sqrt(1 + t * t));
  let x = eta; let y = xi;
  for (let j = 1; j <= 3; j++) {
    x += ALPHA[j - 1] * Math.cos(2 * j * xi) * Math.sinh(2 * j * eta);
    y += ALPHA[j - 1] * Math.sin(2 * j * xi) * Math.cosh(2 * j * eta);
  }
  return { zone, easting: E0 + K0 * AA * x, northing: K0 * AA * y };
}

/** UTM easting and northing (northern hemisphere) in `zone` back to (lat, lon). */
export function fromUtm(easting, northing, zone) {
  const xi = northing / (K0 * AA);
  const eta = (easting - E0) / (K0 * AA);
  let xp = xi; let ep = eta;
  for (let j = 1; j <= 3; j++) {
    xp -= BETA[j - 1] * Math.sin(2 * j * xi) * Math.cosh(2 * j * eta);
    ep -= BETA[j - 1] * Math.cos(2 * j * xi) * Math.sinh(2 * j * eta);
  }
  const chi = Math.asin(Math.sin(xp) / Math.cosh(ep));
  let phi = chi;
  for (let j = 1; j <= 3; j++) phi += DELTA[j - 1] * Math.sin(2 * j * chi);
  const lon = centralMeridian(zone) + Math.atan2(Math.sinh(ep), Math.cos(xp)) / RAD;
  return { lat: phi / RAD, lon };
}

/** A distance in words: metres under 10 km, else km with one decimal. */
export function fmtDistance(m) {
  if (!Number.isFinite(m)) return '—';
  if (m < 10000) return `${Math.round(m).toLocaleString('en-GB')} m`;
  return `${(m / 1000).toFixed(1)} km`;
}

/** A bearing as three digits and degrees with its mils (NATO 6400), e.g. `047° (836 mil)`. */
export function fmtBearing(deg) {
  if (!Number.isFinite(deg)) return '—';
  const d = Math.round(deg) % 360;
  return `${String(d).padStart(3, '0')}° (${Math.round((deg / 360) * 6400) % 6400} mil)`;
}
