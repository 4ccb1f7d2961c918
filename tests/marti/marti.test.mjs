// truce's Marti API (TAK Server's REST side) with a real TAK client library: @tak-ps/node-tak, the
// library CloudTAK uses, pinned in tests/marti/package.json (8.9.0: later releases need a package the
// registry here refuses). Starts the real `truce serve` (TRUCE_BIN, default target/debug/truce) on free
// loopback ports with a fresh data directory, users of two nations and `truce certs init`, then:
//
// - enrols devices with a user name and password (node-tak's Credentials.generate: a CSR made with
//   openssl, signed over the enrolment port with basic authentication) and uses the certificates;
// - uploads a data package, lists it and downloads it from a second client; a user of another nation
//   does not see it (not listed, 404 on download);
// - creates a mission, subscribes a streaming device (node-tak's TAK client over TLS), adds the
//   package, and the device receives TAK Server's mission change CoT;
// - bad input: a wrong password (401, audited, then 429), a revoked certificate (refused in the
//   handshake), a truncated, oversized or mismatched upload (nothing stored), a path in a file name,
//   odd mission names;
// - a server killed with SIGKILL in the middle of an upload comes back without the package.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import TAK, { TAKAPI, APIAuthCertificate, APIAuthPassword } from '@tak-ps/node-tak';
import FormData from 'form-data';
import { Readable } from 'node:stream';
import { Agent, setGlobalDispatcher } from 'undici';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TRUCE = process.env.TRUCE_BIN || path.join(ROOT, 'target', 'debug', 'truce');
const PASSWORD = 'marti-test-password';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'truce-marti-'));
const data = path.join(tmp, 'data');
let server;
let addrs = {};
const devices = {};

function truce(args, input) {
    const r = spawnSync(TRUCE, args, { cwd: ROOT, input, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function must(args, input) {
    const r = truce(args, input);
    assert.equal(r.code, 0, `truce ${args.join(' ')}: ${r.stderr}`);
    return r;
}

/** `truce serve` on free ports; resolves with the addresses it prints. */
function serve(extra = []) {
    const args = ['serve', '--data-dir', data, '--listen', '127.0.0.1:0', '--tak-tcp', 'off', '--tak-udp', 'off',
        '--tak-tls', '127.0.0.1:0', '--tak-api', '127.0.0.1:0', '--tak-enrol', '127.0.0.1:0',
        '--watch-every', '3600', ...extra];
    const proc = spawn(TRUCE, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise((resolve, reject) => {
        const found = {};
        let buf = '';
        const timer = setTimeout(() => reject(new Error(`truce serve printed only ${JSON.stringify(found)}`)), 60000);
        proc.on('exit', (code) => reject(new Error(`truce serve exited (${code}) before listening`)));
        proc.stdout.on('data', (chunk) => {
            buf += chunk;
            let m;
            if ((m = buf.match(/TAK CoT over tls on ([\d.:]+)/))) found.tls = m[1];
            if ((m = buf.match(/TAK API \(Marti\) over HTTPS on ([\d.:]+)/))) found.api = m[1];
            if ((m = buf.match(/TAK certificate enrolment over HTTPS on ([\d.:]+)/))) found.enrol = m[1];
            if ((m = buf.match(/listening on http:\/\/([\d.:]+)\//))) found.http = m[1];
            if (found.tls && found.api && found.enrol && found.http) {
                clearTimeout(timer);
                proc.removeAllListeners('exit');
                resolve({ proc, addrs: found });
            }
        });
    });
}

function stop(proc) {
    return new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.on('exit', () => resolve());
        proc.kill('SIGKILL');
    });
}

/** Enrols a device for `user` the way node-tak does it (Credentials.generate). node-tak's password
 * client sends its first request through a cookie agent of its own that cannot be given a CA, so the
 * enrolment runs without checking the server's certificate, as a device does before it has the
 * truststore; every later request checks it (the global dispatcher trusts truce's CA). */
async function enrol(user, password = PASSWORD) {
    const api = new TAKAPI(new URL(`https://${addrs.enrol}`), new APIAuthPassword(user, password));
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    try {
        return await api.Credentials.generate();
    } finally {
        delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    }
}

async function client(device) {
    return await TAKAPI.init(new URL(`https://${addrs.api}`), new APIAuthCertificate(device.cert, device.key));
}

/** One raw HTTPS request on the API port with a device's certificate. */
function raw(device, method, pathname, body, headers = {}) {
    const [host, port] = addrs.api.split(':');
    return new Promise((resolve, reject) => {
        const req = https.request({ host, port, method, path: pathname, cert: device.cert, key: device.key,
            rejectUnauthorized: false, headers, agent: false }, (res) => {
            const parts = [];
            res.on('data', (c) => parts.push(c));
            res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString() }));
        });
        req.on('error', reject);
        if (body) req.write(body);
        req.end();
    });
}

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

async function until(what, ok, ms = 10000) {
    const end = Date.now() + ms;
    for (;;) {
        const v = await ok();
        if (v) return v;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

before(async () => {
    must(['certs', 'init', '--data-dir', data]);
    for (const [name, nation] of [['alice', 'GBR'], ['bob', 'GBR'], ['pierre', 'FRA'], ['admin', 'GBR']]) {
        const role = name === 'admin' ? 'admin' : 'monitor';
        must(['users', 'add', name, '--data-dir', data, '--nation', nation, '--role', role,
            '--clearance', 'NATO SECRET', '--password-stdin'], PASSWORD + '\n');
    }
    // The devices' HTTP client (undici) trusts truce's CA, as a device does after enrolment.
    setGlobalDispatcher(new Agent({ connect: { ca: fs.readFileSync(path.join(data, 'certs', 'ca.pem')) } }));
    ({ proc: server, addrs } = await serve());
});

after(async () => {
    for (const d of Object.values(devices)) d.stream?.destroy();
    if (server) await stop(server);
    fs.rmSync(tmp, { recursive: true, force: true });
});

test('devices enrol with a user name and password and are bound to that user', async () => {
    for (const user of ['alice', 'bob', 'pierre']) {
        devices[user] = await enrol(user);
        assert.match(devices[user].cert, /BEGIN CERTIFICATE/);
    }
    const x509 = new crypto.X509Certificate(devices.alice.cert);
    assert.match(x509.subject, /OU=truce-user:alice/);
    assert.ok(x509.checkIssued(new crypto.X509Certificate(fs.readFileSync(path.join(data, 'certs', 'ca.pem')))));
    const version = await (await client(devices.alice)).fetch(new URL('/Marti/api/version/config', `https://${addrs.api}`),
        { method: 'GET' });
    assert.equal(version.data.api, '3');
});

test('a wrong password is refused (401), audited, and throttled', async () => {
    await assert.rejects(enrol('alice', 'wrong'), (e) => /invalid_login/.test(e.message));
    const audit = must(['audit', 'list', '--data-dir', data]).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(audit.some((e) => e.kind === 'denied' && e.action.startsWith('POST /Marti/api/tls/signClient/v2')
        && e.target === 'alice'), 'the refused enrolment is in the audit log');
    assert.ok(audit.some((e) => e.kind === 'write' && e.actor === 'alice' && /enrolled/.test(e.detail)),
        'so is the enrolment');
    // Repeated failures for one name: 429, even with the right password afterwards.
    let throttled = false;
    for (let i = 0; i < 12 && !throttled; i++) {
        try {
            await enrol('bob', 'wrong');
        } catch (e) {
            throttled = /throttled/.test(e.message);
        }
    }
    assert.ok(throttled, 'repeated wrong passwords end in 429');
});

let packageHash;
let gbrHash;
const packageBytes = crypto.randomBytes(300 * 1024);
const gbrBytes = crypto.randomBytes(20 * 1024);

test('a data package uploaded by one device is listed and downloaded by another', async () => {
    const alice = await client(devices.alice);
    packageHash = sha256(packageBytes);
    const url = await alice.Files.uploadPackage({ name: 'patrol-north.zip', creatorUid: 'ALICE-1', hash: packageHash },
        packageBytes);
    assert.match(url, new RegExp(`/Marti/sync/content\\?hash=${packageHash}$`));
    const bob = await client(devices.bob);
    const list = await bob.Package.list({});
    const found = list.results.find((p) => p.Hash === packageHash);
    assert.ok(found, 'bob lists the package');
    assert.equal(found.Name, 'patrol-north.zip');
    assert.equal(found.SubmissionUser, 'alice');
    assert.equal(found.Size, String(packageBytes.length));
    const body = await bob.Files.download(packageHash);
    const parts = [];
    for await (const c of body) parts.push(c);
    assert.ok(Buffer.concat(parts).equals(packageBytes), 'the same bytes');
});

test('a user of another nation does not see a package released to one nation', async () => {
    // The same upload as uploadPackage, through the library's own client, with truce's label parameter.
    const alice = await client(devices.alice);
    gbrHash = sha256(gbrBytes);
    const form = new FormData();
    form.append('assetfile', Readable.from(gbrBytes));
    const url = new URL(`/Marti/sync/missionupload`, `https://${addrs.api}`);
    for (const [k, v] of Object.entries({ filename: 'gbr-only.zip', creatorUid: 'ALICE-1', hash: gbrHash,
        releasableTo: 'GBR' })) url.searchParams.append(k, v);
    await alice.fetch(url, { method: 'POST', body: form });
    const bob = await client(devices.bob);
    const pierre = await client(devices.pierre);
    assert.ok((await bob.Package.list({})).results.some((p) => p.Hash === gbrHash), 'GBR lists it');
    const seen = (await pierre.Package.list({})).results.map((p) => p.Hash);
    assert.ok(!seen.includes(gbrHash), 'not listed for FRA');
    assert.ok(seen.includes(packageHash), 'FRA lists the package released to the force');
    const r = await raw(devices.pierre, 'GET', `/Marti/sync/content?hash=${gbrHash}`);
    assert.equal(r.status, 404, 'answers like a missing file');
    assert.equal((await raw(devices.pierre, 'GET', `/Marti/sync/${gbrHash}/metadata`)).status, 404);
    assert.equal((await raw(devices.pierre, 'GET', `/Marti/sync/content?hash=${'ab'.repeat(32)}`)).status, 404);
    // FRA may not label a package for GBR alone above its own clearance either: a label check.
    const refused = await raw(devices.pierre, 'POST', '/Marti/sync/upload?name=x.txt&classification=COSMIC%20TOP%20SECRET',
        'x');
    assert.equal(refused.status, 403);
});

test('a mission change reaches the subscribed device over its TAK connection', async () => {
    const alice = await client(devices.alice);
    const created = await alice.Mission.create('patrol north', { creatorUid: 'ALICE-1', description: 'sector N',
        classification: 'NATO RESTRICTED', releasableTo: 'GBR' });
    assert.equal(created.classification, 'NATO RESTRICTED // REL TO GBR');
    assert.equal(created.name, 'patrol north');
    // Bob's device joins the TAK stream over TLS and announces itself.
    const stream = await TAK.connect('bob', new URL(`ssl://${addrs.tls}`), { cert: devices.bob.cert, key: devices.bob.key });
    devices.bob.stream = stream;
    const changes = [];
    stream.on('cot', (cot) => {
        if (cot.raw.event._attributes.type === 't-x-m-c') changes.push(cot.raw.event.detail.mission);
    });
    await new Promise((r) => (stream.open ? r() : stream.once('secureConnect', r)));
    const now = new Date();
    const stale = new Date(now.getTime() + 600000);
    stream.write_xml(`<event version="2.0" uid="BOB-1" type="a-f-G-U-C" how="m-g" time="${now.toISOString()}" `
        + `start="${now.toISOString()}" stale="${stale.toISOString()}"><point lat="48.5" lon="35.0" hae="0" ce="10" `
        + `le="10"/><detail><contact callsign="BOB" endpoint="*:-1:stcp"/></detail></event>`);
    const bob = await client(devices.bob);
    // The server has learnt BOB-1 once the device shows in the contacts list.
    await until('BOB-1 in the contacts', async () => (await bob.Contacts.list()).some((c) => c.uid === 'BOB-1'));
    const sub = await bob.Mission.subscribe('patrol north', { uid: 'BOB-1' });
    assert.equal(sub.data.role.type, 'MISSION_SUBSCRIBER');
    await alice.Mission.attachContents('patrol north', { hashes: [gbrHash] });
    const got = await until('the change CoT', () => changes[0]);
    assert.equal(got._attributes.name, 'patrol north');
    assert.equal(got.MissionChanges.MissionChange.type._text, 'ADD_CONTENT');
    assert.equal(got.MissionChanges.MissionChange.contentResource.hash._text, gbrHash);
    const mission = await bob.Mission.get('patrol north', {});
    assert.deepEqual(mission.contents.map((c) => c.data.hash), [gbrHash]);
    const log = await bob.Mission.changes('patrol north', {});
    assert.deepEqual(log.data.map((c) => c.type), ['CREATE_MISSION', 'ADD_CONTENT']);
    // Pierre (FRA) sees neither the mission nor its change log.
    const pierre = await client(devices.pierre);
    assert.ok(!(await pierre.Mission.list({})).data.some((m) => m.name === 'patrol north'));
    assert.equal((await raw(devices.pierre, 'GET', '/Marti/api/missions/patrol%20north')).status, 404);
});

test('CoT a device addresses to a mission reaches its subscribers and joins its contents', async () => {
    // Alice's device (ALICE-1, subscribed as the mission's owner when she created it) joins the stream.
    const stream = await TAK.connect('alice', new URL(`ssl://${addrs.tls}`), { cert: devices.alice.cert, key: devices.alice.key });
    devices.alice.stream = stream;
    const got = [];
    stream.on('cot', (cot) => got.push(cot.raw.event));
    await new Promise((r) => (stream.open ? r() : stream.once('secureConnect', r)));
    const now = new Date();
    const stale = new Date(now.getTime() + 600000);
    const at = `time="${now.toISOString()}" start="${now.toISOString()}" stale="${stale.toISOString()}"`;
    stream.write_xml(`<event version="2.0" uid="ALICE-1" type="a-f-G-U-C" how="m-g" ${at}><point lat="48.4" `
        + `lon="35.1" hae="0" ce="10" le="10"/><detail><contact callsign="ALICE" endpoint="*:-1:stcp"/></detail></event>`);
    const alice = await client(devices.alice);
    await until('ALICE-1 in the contacts', async () => (await alice.Contacts.list()).some((c) => c.uid === 'ALICE-1'));
    devices.bob.stream.write_xml(`<event version="2.0" uid="BOB-MARK-1" type="b-m-p-s-m" how="h-g-i-g-o" ${at}>`
        + `<point lat="48.41" lon="35.12" hae="0" ce="10" le="10"/><detail><contact callsign="MARK 1"/>`
        + `<marti><dest mission="patrol north"/></marti></detail></event>`);
    await until('the mission CoT at the subscriber', () => got.some((e) => e._attributes.uid === 'BOB-MARK-1'));
    await until('its change at the subscriber', () => got.some((e) => e._attributes.type === 't-x-m-c'
        && e.detail.mission.MissionChanges.MissionChange.contentUid._text === 'BOB-MARK-1'));
    const mission = await alice.Mission.get('patrol north', {});
    assert.ok(mission.uids.some((u) => u.data === 'BOB-MARK-1'), 'the uid joined the mission');
    // A device that subscribes later draws the mission from its latest CoT.
    const feats = await until('the mark in the mission\'s CoT', async () => {
        const f = await alice.Mission.latestFeats('patrol north');
        return f.some((x) => x.id === 'BOB-MARK-1') && f;
    });
    assert.deepEqual(feats.find((x) => x.id === 'BOB-MARK-1').geometry.coordinates.slice(0, 2), [35.12, 48.41]);
});

test('mission names with odd characters round trip; a path in a name is refused', async () => {
    const alice = await client(devices.alice);
    const odd = "Ops 'north' & ü %_ \"x\"";
    await alice.Mission.create(odd, { creatorUid: 'ALICE-1' });
    assert.equal((await alice.Mission.get(odd, {})).name, odd);
    const r = await raw(devices.alice, 'PUT', `/Marti/api/missions/${encodeURIComponent('a/../b')}?creatorUid=A`);
    assert.equal(r.status, 400);
    assert.match(r.body, /path separator/);
});

test('bad uploads store nothing', async () => {
    const before = (await (await client(devices.alice)).Package.list({})).resultCount;
    const bytes = crypto.randomBytes(1000);
    // A hash that does not match the content.
    let r = await raw(devices.alice, 'POST', `/Marti/sync/upload?name=x.bin&hash=${'0'.repeat(64)}`, bytes,
        { 'Content-Type': 'application/octet-stream' });
    assert.equal(r.status, 400);
    assert.match(r.body, /hash_mismatch/);
    // A path in the file name.
    r = await raw(devices.alice, 'POST', '/Marti/sync/upload?name=..%2F..%2Fetc%2Fpasswd', bytes);
    assert.equal(r.status, 400);
    assert.match(r.body, /path separator/);
    // Announced larger than the limit.
    r = await raw(devices.alice, 'POST', '/Marti/sync/upload?name=big.bin', null, { 'Content-Length': String(500 * 1024 * 1024) });
    assert.equal(r.status, 413);
    // Truncated: the connection ends before the announced length.
    await new Promise((resolve) => {
        const [host, port] = addrs.api.split(':');
        const req = https.request({ host, port, method: 'POST', path: '/Marti/sync/upload?name=cut.bin',
            cert: devices.alice.cert, key: devices.alice.key, rejectUnauthorized: false,
            headers: { 'Content-Length': '100000' } });
        req.on('error', () => resolve());
        req.write(bytes, () => req.destroy());
        req.on('close', resolve);
    });
    const list = await (await client(devices.alice)).Package.list({});
    assert.equal(list.resultCount, before, 'nothing new listed');
    assert.ok(!list.results.some((p) => ['x.bin', 'cut.bin'].includes(p.Name)));
});

test('a revoked certificate is refused from then on', async () => {
    const pierre = await client(devices.pierre);
    assert.ok(Array.isArray((await pierre.Mission.list({})).data));
    const serial = new crypto.X509Certificate(devices.pierre.cert).serialNumber;
    must(['certs', 'revoke', '--data-dir', data, '--serial', serial]);
    // A connection node-tak keeps alive gets no further answer; a new one fails its handshake.
    await until('the revoked certificate refused', async () => {
        try {
            return (await pierre.fetch(new URL('/Marti/api/missions', `https://${addrs.api}`), { method: 'GET' }, true))
                .status === 401;
        } catch (e) {
            return true;
        }
    });
    await assert.rejects(raw(devices.pierre, 'GET', '/Marti/api/missions'), 'a new connection fails its handshake');
    // Another device of the same CA still works.
    assert.equal((await raw(devices.bob, 'GET', '/Marti/api/missions')).status, 200);
});

test('a server killed during an upload comes back without the package', async () => {
    const [host, port] = addrs.api.split(':');
    const part = crypto.randomBytes(256 * 1024);
    await new Promise((resolve) => {
        const req = https.request({ host, port, method: 'POST', path: '/Marti/sync/upload?name=killed.bin',
            cert: devices.alice.cert, key: devices.alice.key, rejectUnauthorized: false,
            headers: { 'Content-Length': String(part.length * 8) } });
        req.on('error', () => resolve());
        // Half the body sent, then the server dies.
        req.write(part);
        req.write(part);
        req.write(part, async () => {
            await until('the upload under way', () => fs.readdirSync(path.join(data, 'files', 'tmp')).length > 0);
            await stop(server);
            resolve();
        });
    });
    // Back with a 1 MiB limit, to see a body streamed past it refused as it goes.
    ({ proc: server, addrs } = await serve(['--tak-max-upload-mib', '1']));
    assert.deepEqual(fs.readdirSync(path.join(data, 'files', 'tmp')), [], 'the partial upload is gone');
    const big = await new Promise((resolve, reject) => {
        const [h, p] = addrs.api.split(':');
        const req = https.request({ host: h, port: p, method: 'POST', path: '/Marti/sync/upload?name=big.bin',
            cert: devices.alice.cert, key: devices.alice.key, rejectUnauthorized: false, agent: false,
            headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
        });
        req.on('error', reject);
        for (let i = 0; i < 8; i++) req.write(part);
        req.end();
    });
    assert.equal(big, 413, 'a 2 MiB body without a length, past the 1 MiB limit');
    assert.deepEqual(fs.readdirSync(path.join(data, 'files', 'tmp')), [], 'nothing left of it');
    const list = await (await client(devices.alice)).Package.list({});
    assert.ok(!list.results.some((p) => ['killed.bin', 'big.bin'].includes(p.Name)));
    assert.ok(list.results.some((p) => p.Hash === packageHash), 'what was stored before is still there');
});
