// The map's filter model (web/filter.js) without a browser: the URL form round-trips, malformed values
// are dropped rather than guessed, random input never throws (a small fuzz loop with a fixed seed), the
// live predicate agrees with the server's rule on the cases the server documents, and the geodesy of the
// measuring tool (web/geo.js) agrees with GeographicLib.
//
//   node --test web/tests/filter.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiParams, emptyFilter, fromParams, inPolygon, matches, releasableTo, toParams, trackMatches,
} from '../filter.js';
import { fromUtm, inverse, toUtm } from '../geo.js';

const MARKINGS = ['NATO UNCLASSIFIED', 'NATO RESTRICTED', 'NATO CONFIDENTIAL', 'NATO SECRET', 'COSMIC TOP SECRET'];

test('a filter survives the URL', () => {
  const f = {
    ...emptyFilter(), window: 'custom', since: '2026-11-01T00:00:00.000Z', until: '2026-11-02T06:00:00.000Z',
    category: ['explosion_impact', 'weapon_sighting'], violation: ['cfv_in_security_zone'], means: ['uav'],
    party: ['rus', 'none'], marking: ['0', '2'], nation: 'POL',
    area: { type: 'polygon', points: [[36.5, 47], [38.8, 47], [38.8, 49], [37, 49.5]] },
  };
  assert.deepEqual(fromParams(toParams(f)), f);
  const box = { ...emptyFilter(), window: '24h', area: { type: 'bbox', bbox: [36, 47, 39, 49.5] } };
  assert.deepEqual(fromParams(toParams(box)), box);
  assert.equal(toParams(emptyFilter()).toString(), '', 'the default view has a bare URL');
});

test('malformed values are dropped, not guessed', () => {
  const f = fromParams(new URLSearchParams('window=fortnight&means=uav,telepathy&marking=1,9,x&nation=Poland&bbox=10,20,5,30&polygon=1,2;3,4&since=yesterday'));
  assert.equal(f.window, '7d');
  assert.deepEqual(f.means, ['uav']);
  assert.deepEqual(f.marking, ['1']);
  assert.equal(f.nation, '');
  assert.equal(f.area, null, 'an inverted box and a two-corner polygon are no area');
  assert.equal(f.since, null);
});

test('random input never throws (fuzz, fixed seed)', () => {
  let seed = 42;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  const alphabet = 'abcxyz019,;.-=&%ZT: é\u0000';
  const keys = ['window', 'since', 'until', 'category', 'violation', 'means', 'party', 'marking', 'nation', 'bbox', 'polygon'];
  for (let i = 0; i < 20_000; i++) {
    const q = new URLSearchParams();
    for (const k of keys) {
      if (rnd() < 0.5) continue;
      let v = '';
      for (let n = Math.floor(rnd() * 30); n > 0; n--) v += alphabet[Math.floor(rnd() * alphabet.length)];
      q.set(k, v);
    }
    const f = fromParams(q);
    assert.deepEqual(fromParams(toParams(f)), f, `stable for ${q}`);
    apiParams(f, { since: null, until: null });
  }
});

// The shape of the vocabulary's `release` (GET /api/v1/vocabulary), with memberships of the shipped policy
// (data/access/policy.toml): Finland in NATO from 2023-04-04, the United Kingdom in the EU until 2020-01-31.
const RELEASE = {
  policy: 'NATO', public: 'PUBLIC', nobody: 'NONE', default: ['MNFU'],
  groups: {
    NATO: { name: 'NATO', members: { FIN: [{ from: '2023-04-04', until: null }], GBR: [{ from: null, until: null }] } },
    EU: { name: 'EU', members: { GBR: [{ from: null, until: '2020-01-31' }], FIN: [{ from: null, until: null }] } },
    MNFU: { name: 'MNFU', members: { UKR: [{ from: null, until: null }], GBR: [{ from: null, until: null }] } },
  },
};

test('the live predicate', () => {
  const o = {
    id: 'x', time: '2026-11-01T12:00:00Z', lat: 48, lon: 37.5, category: 'explosion_impact', party: null,
    observer: { means: 'patrol' }, marking: 'NATO RESTRICTED', classification: { violations: [{ code: 'cfv_in_security_zone' }] },
  };
  const win = { since: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-11-02T00:00:00Z') };
  const f = emptyFilter();
  assert.ok(matches(o, f, win, MARKINGS));
  assert.ok(!matches(o, f, { since: new Date('2026-11-01T12:00:01Z'), until: null }, MARKINGS), 'before the window');
  assert.ok(!matches(o, f, { since: null, until: new Date('2026-11-01T12:00:00Z') }, MARKINGS), 'until is exclusive');
  assert.ok(matches(o, { ...f, party: ['none'] }, win, MARKINGS));
  assert.ok(!matches(o, { ...f, party: ['rus'] }, win, MARKINGS));
  assert.ok(matches(o, { ...f, marking: ['1'] }, win, MARKINGS));
  assert.ok(!matches(o, { ...f, marking: ['0'] }, win, MARKINGS));
  assert.ok(!matches(o, { ...f, means: ['uav'] }, win, MARKINGS));
  assert.ok(matches(o, { ...f, violation: ['weapon_forward_of_withdrawal_line', 'cfv_in_security_zone'] }, win, MARKINGS));
  assert.ok(matches(o, { ...f, area: { type: 'bbox', bbox: [37.5, 48, 38, 49] } }, win, MARKINGS), 'box edges are in');
  assert.ok(!matches(o, { ...f, nation: 'FIN' }, win, MARKINGS), 'without the release codes, no nation filter passes');
  assert.ok(matches({ ...o, releasable_to: ['NATO'] }, { ...f, nation: 'FIN' }, win, MARKINGS, RELEASE), 'Finland in NATO on the day');
  assert.ok(!matches({ ...o, releasable_to: ['NATO'] }, { ...f, nation: 'UKR' }, win, MARKINGS, RELEASE));
  assert.ok(matches(o, { ...f, nation: 'UKR' }, win, MARKINGS, RELEASE), 'no code: the default release (MNFU holds Ukraine)');
  assert.ok(inPolygon(37.5, 48, [[37, 47], [38, 47], [38, 48], [37, 48]]), 'polygon edges are in');
  assert.ok(!inPolygon(38.5, 48, [[37, 47], [38, 47], [38, 48], [37, 48]]));
});

test('releasability to a nation reads groups on the record\'s own day, as the server does', () => {
  const rel = (codes, time, nation) => releasableTo(codes, time, nation, RELEASE);
  assert.ok(rel(['NATO'], '2023-04-04T00:00:00Z', 'FIN'), 'Finland from its first day in NATO');
  assert.ok(!rel(['NATO'], '2023-04-03T23:59:59Z', 'FIN'), 'not the day before');
  assert.ok(!rel(['NATO'], '2023-04-04T01:00:00+02:00', 'FIN'), 'the day is the UTC day (23:00 on the 3rd)');
  assert.ok(rel(['EU'], '2020-01-30T12:00:00Z', 'GBR') && !rel(['EU'], '2020-01-31T00:00:00Z', 'GBR'), 'until is exclusive');
  assert.ok(rel(['PUBLIC'], '2026-11-01T00:00:00Z', 'JPN'), 'public: everyone');
  assert.ok(rel(['GBR', 'FRA'], '2026-11-01T00:00:00Z', 'FRA') && !rel(['GBR', 'FRA'], '2026-11-01T00:00:00Z', 'POL'), 'a nation code is the nation');
  assert.ok(rel([], '2026-11-01T00:00:00Z', 'UKR') && !rel([], '2026-11-01T00:00:00Z', 'JPN'), 'no code: the default release');
  assert.ok(!rel(['NONE'], '2026-11-01T00:00:00Z', 'GBR'), 'nobody');
  assert.ok(!rel(['PUBLIC'], 'not a time', 'GBR'), 'a report without a time is not judged releasable');
  assert.ok(!releasableTo(['PUBLIC'], '2026-11-01T00:00:00Z', 'GBR', null), 'nor without the policy');
});

test('the track predicate: area, sector, classification and nation', () => {
  const t = {
    uid: 'icao-4ca7b1', time: '2026-11-01T12:00:00Z', lat: 48, lon: 37.5, sector: 'pokrovsk',
    marking: 'NATO RESTRICTED', releasable_to: ['NATO'],
  };
  const take = (f) => trackMatches(t, { ...emptyFilter(), ...f }, MARKINGS, RELEASE);
  assert.ok(take({}));
  assert.ok(take({ marking: ['1'] }) && !take({ marking: ['0', '2'] }));
  assert.ok(take({ nation: 'FIN' }) && !take({ nation: 'UKR' }));
  assert.ok(take({ sector: 'pokrovsk' }) && !take({ sector: 'kherson' }));
  assert.ok(!take({ area: { type: 'bbox', bbox: [30, 40, 31, 41] } }));
  assert.ok(!trackMatches({ ...t, sector: undefined }, { ...emptyFilter(), sector: 'pokrovsk' }, MARKINGS, RELEASE), 'no sector: in none');
});

test('geodesics and UTM agree with GeographicLib and MGRS', () => {
  // GeographicLib 2.0 Geodesic.WGS84.Inverse, computed outside this test.
  const g = inverse(50.4501, 30.5234, 49.9935, 36.2304);
  assert.ok(Math.abs(g.distance - 410332.278790928) < 1e-3, `${g.distance}`);
  assert.ok(Math.abs(g.bearing - 94.90864192463192) < 1e-8);
  // Vincenty's own test line (Flinders Peak to Buninyong): 54,972.271 m at 306° 52' 05.37".
  const v = inverse(-37.95103341666667, 144.42486788888888, -37.65282113888889, 143.92649552777777);
  assert.ok(Math.abs(v.distance - 54972.271) < 1e-3);
  assert.ok(Math.abs(v.bearing - (306 + 52 / 60 + 5.37 / 3600)) < 1e-5);
  // Kyiv in UTM 36: 36U UA 24196 91596 (the mgrs package).
  const u = toUtm(50.45, 30.5236);
  assert.equal(u.zone, 36);
  assert.equal(Math.floor(u.easting) % 100000, 24196);
  assert.equal(Math.floor(u.northing) % 100000, 91596);
  const back = fromUtm(u.easting, u.northing, u.zone);
  assert.ok(Math.abs(back.lat - 50.45) < 1e-7 && Math.abs(back.lon - 30.5236) < 1e-7);
});
