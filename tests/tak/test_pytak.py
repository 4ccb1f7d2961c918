"""truce's TAK server with a real TAK client library: pytak (PyPI), over TCP and TLS.

Run by scripts/test with the venv it makes under target/ (pytak and takproto pinned in
tests/tak/requirements.txt). Starts the real `truce serve` (TRUCE_BIN, default target/debug/truce) on
free loopback ports with a fresh data directory and certificates made by `truce certs`, then:

- two pytak clients over TCP: what one sends reaches the other, never itself, and is stored as track
  history (GET /api/v1/tracks/{uid});
- a pytak client speaking TAK protocol v1 (TAK_PROTO=1) reaches an XML client;
- a pytak client over TLS with a certificate from `truce certs issue` is known by the certificate's
  callsign, and a TLS client without a certificate is refused;
- a hostile howitzer marked from pytak becomes a weapon-sighting observation;
- a friendly track moving into the force stand-off zone makes a geofence alert (b-a-g) that the other
  client receives.
Every wait is on a condition with a deadline; nothing sleeps to synchronise.
"""
import asyncio
import configparser
import json
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import time
import unittest
import urllib.request
import xml.etree.ElementTree as ET

import pytak

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRUCE = os.environ.get("TRUCE_BIN", os.path.join(ROOT, "target", "debug", "truce"))
DEADLINE = 20.0
PASSWORD = "pytak-test-password"


def run(*args):
    subprocess.run([TRUCE, *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


class Server:
    """`truce serve` on free ports; parses the addresses it prints."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="truce-pytak-")
        self.data = os.path.join(self.dir, "data")
        run("certs", "init", "--data-dir", self.data)
        run("certs", "issue", "--data-dir", self.data, "--callsign", "PYTAK-1")
        for name, nation, role, clearance in [("admin", "GBR", "admin", "COSMIC TOP SECRET"),
                                              ("pol.rep", "POL", "national_rep", "NATO RESTRICTED"),
                                              ("jpn.rep", "JPN", "national_rep", "NATO RESTRICTED"),
                                              ("est.rep", "EST", "national_rep", "NATO RESTRICTED")]:
            subprocess.run([TRUCE, "users", "add", name, "--data-dir", self.data, "--nation", nation, "--role", role,
                            "--clearance", clearance, "--password-stdin"],
                           cwd=ROOT, check=True, stdout=subprocess.DEVNULL, input=PASSWORD + "\n", text=True)
        # Devices bound to users of two nations (the certificate names the user).
        run("certs", "issue", "--data-dir", self.data, "--callsign", "PYTAK-POL", "--user", "pol.rep")
        run("certs", "issue", "--data-dir", self.data, "--callsign", "PYTAK-JPN", "--user", "jpn.rep")
        run("certs", "issue", "--data-dir", self.data, "--callsign", "PYTAK-EST", "--user", "est.rep")
        args = [TRUCE, "serve", "--data-dir", self.data, "--listen", "127.0.0.1:0", "--tak-tcp", "127.0.0.1:0",
                "--tak-tls", "127.0.0.1:0", "--tak-api", "127.0.0.1:0", "--tak-enrol", "127.0.0.1:0", "--tak-udp", "off",
                "--watch-every", "3600"]
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.addrs = {}
        end = time.time() + 60
        while len(self.addrs) < 3 and time.time() < end:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("truce serve exited before listening")
            m = re.search(r"listening on http://([\d.:]+)/", line)
            if m:
                self.addrs["http"] = m.group(1)
            m = re.search(r"TAK CoT over (tcp|tls) on ([\d.:]+)", line)
            if m:
                self.addrs[m.group(1)] = m.group(2)
        if len(self.addrs) < 3:
            raise RuntimeError(f"truce serve printed only {self.addrs}")
        login = json.dumps({"user": "admin", "password": PASSWORD}).encode()
        req = urllib.request.Request(f"http://{self.addrs['http']}/api/v1/login", data=login,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            self.token = json.loads(r.read())["token"]

    def get(self, path):
        try:
            req = urllib.request.Request(f"http://{self.addrs['http']}{path}",
                                         headers={"Authorization": f"Bearer {self.token}"})
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def until(self, path, ok):
        """GETs `path` until `ok(body)` holds; returns the body."""
        end = time.time() + DEADLINE
        last = None
        while time.time() < end:
            status, body = self.get(path)
            last = (status, body)
            if status == 200 and ok(body):
                return body
            time.sleep(0.05)
        raise AssertionError(f"{path}: condition not met; last answer {last}")

    def certs(self, name):
        return os.path.join(self.data, "certs", name)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def cot(uid, cot_type, lat, lon, callsign, remarks=""):
    """A CoT event the way pytak builds them (pytak.gen_cot_xml), with contact and group."""
    ev = pytak.gen_cot_xml(lat=lat, lon=lon, ce=5, hae=100, le=5, uid=uid, stale=120, cot_type=cot_type)
    detail = ev.find("detail")
    ET.SubElement(detail, "contact", {"callsign": callsign, "endpoint": "*:-1:stcp"})
    ET.SubElement(detail, "__group", {"name": "Cyan", "role": "Team Member"})
    ET.SubElement(detail, "takv", {"device": "pytak", "platform": "pytak", "os": "linux", "version": "7"})
    if remarks:
        ET.SubElement(detail, "remarks").text = remarks
    return b"\n".join([pytak.DEFAULT_XML_DECLARATION, ET.tostring(ev)])


class Rx(pytak.RXWorker):
    async def handle_data(self, data):
        await self.queue.put(data)


class Tx(pytak.TXWorker):
    async def handle_data(self, data):
        await self.send_data(data)


class Client:
    """One pytak connection: pytak.protocol_factory, a TXWorker to send and an RXWorker to read."""

    @classmethod
    async def connect(cls, url, **settings):
        parser = configparser.ConfigParser()
        parser["t"] = {"COT_URL": url, **settings}
        config = parser["t"]
        self = cls()
        self.reader, self.writer = await pytak.protocol_factory(config)
        self.tx = Tx(asyncio.Queue(), config, self.writer)
        self.rx = Rx(asyncio.Queue(), config, self.reader)
        return self

    async def send(self, data):
        await self.tx.send_data(data)

    async def next_event(self, want=lambda ev: True):
        """The next event (parsed) for which `want` holds, skipping the others."""
        async def loop():
            while True:
                data = await self.rx.readcot()
                if not data:
                    raise AssertionError("the server closed the connection")
                text = data.decode()
                text = text[text.index("<event"):]
                ev = ET.fromstring(text)
                if want(ev):
                    return ev
        return await asyncio.wait_for(loop(), DEADLINE)

    async def close(self):
        self.writer.close()
        await self.writer.wait_closed()


def of_uid(uid):
    return lambda ev: ev.get("uid") == uid


class PytakAgainstTruce(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def tcp(self):
        return f"tcp://{self.server.addrs['tcp']}"

    async def test_tcp_events_reach_the_other_client_never_the_sender_and_are_stored(self):
        a = await Client.connect(self.tcp())
        b = await Client.connect(self.tcp())
        # Both are connected once each has received the server's protocol offer.
        await a.next_event(lambda ev: ev.get("type") == "t-x-takp-v")
        await b.next_event(lambda ev: ev.get("type") == "t-x-takp-v")
        await a.send(cot("pytak-A", "a-f-G-U-C", 48.9, 33.2, "PYTAK-ALPHA"))
        got = await b.next_event(of_uid("pytak-A"))
        self.assertEqual(got.find("detail/contact").get("callsign"), "PYTAK-ALPHA")
        self.assertAlmostEqual(float(got.find("point").get("lat")), 48.9)
        await b.send(cot("pytak-B", "a-f-G-U-C", 48.8, 33.1, "PYTAK-BRAVO"))
        # A gets the picture of earlier tests and then B's event, never its own.
        seen_by_a = []
        await a.next_event(lambda ev: seen_by_a.append(ev.get("uid")) or ev.get("uid") == "pytak-B")
        self.assertNotIn("pytak-A", seen_by_a, "A's own event was not echoed back to it")
        body = self.server.until("/api/v1/tracks/pytak-A", lambda b: len(b["points"]) == 1)
        self.assertEqual(body["points"][0]["callsign"], "PYTAK-ALPHA")
        await a.close()
        await b.close()

    async def test_tak_protocol_1_from_pytak_reaches_an_xml_client(self):
        xml = await Client.connect(self.tcp())
        await xml.next_event(lambda ev: ev.get("type") == "t-x-takp-v")
        proto = await Client.connect(self.tcp(), TAK_PROTO="1")
        await proto.send(cot("pytak-P", "a-f-G-U-C", 48.7, 33.0, "PYTAK-PROTO"))
        got = await xml.next_event(of_uid("pytak-P"))
        self.assertEqual(got.find("detail/contact").get("callsign"), "PYTAK-PROTO")
        self.server.until("/api/v1/tak/status", lambda b: b["stats"]["negotiated_tak1"] >= 1)
        await xml.close()
        await proto.close()

    async def test_tls_clients_are_known_by_their_certificate_and_need_one(self):
        url = f"tls://{self.server.addrs['tls']}"
        tls = await Client.connect(
            url,
            PYTAK_TLS_CLIENT_CERT=self.server.certs("clients/PYTAK-1.pem"),
            PYTAK_TLS_CLIENT_KEY=self.server.certs("clients/PYTAK-1.key"),
            PYTAK_TLS_CLIENT_CAFILE=self.server.certs("ca.pem"),
            PYTAK_TLS_DONT_CHECK_HOSTNAME="1",
        )
        listener = await Client.connect(self.tcp())
        await listener.next_event(lambda ev: ev.get("type") == "t-x-takp-v")
        await tls.send(cot("pytak-T", "a-f-G-U-C", 48.6, 32.9, "CALLSIGN-IN-THE-EVENT"))
        await listener.next_event(of_uid("pytak-T"))
        body = self.server.until("/api/v1/tracks/pytak-T", lambda b: len(b["points"]) == 1)
        self.assertEqual(body["points"][0]["source"], "PYTAK-1", "the identity is the certificate's subject")
        await tls.close()
        await listener.close()
        # Without a client certificate the server refuses the handshake.
        ctx = ssl.create_default_context(cafile=self.server.certs("ca.pem"))
        ctx.check_hostname = False
        host, port = self.server.addrs["tls"].rsplit(":", 1)
        with self.assertRaises((ssl.SSLError, ConnectionError, asyncio.IncompleteReadError)):
            reader, writer = await asyncio.open_connection(host, int(port), ssl=ctx)
            data = await asyncio.wait_for(reader.read(1), DEADLINE)
            writer.close()
            if not data:
                raise ConnectionError("closed without a byte")
        self.server.until("/api/v1/tak/status", lambda b: b["stats"]["tls_failed"] >= 1)

    async def tls_as(self, callsign):
        return await Client.connect(
            f"tls://{self.server.addrs['tls']}",
            PYTAK_TLS_CLIENT_CERT=self.server.certs(f"clients/{callsign}.pem"),
            PYTAK_TLS_CLIENT_KEY=self.server.certs(f"clients/{callsign}.key"),
            PYTAK_TLS_CLIENT_CAFILE=self.server.certs("ca.pem"),
            PYTAK_TLS_DONT_CHECK_HOSTNAME="1",
        )

    async def test_two_nations_over_tls_each_receive_only_what_they_may(self):
        # Poland is in the mission's release group, Japan is not: what a Polish device sends is released
        # to the group and Poland, what a Japanese device sends to the group and Japan.
        pol = await self.tls_as("PYTAK-POL")
        jpn = await self.tls_as("PYTAK-JPN")
        anon = await Client.connect(self.tcp())
        for c in (pol, jpn, anon):
            await c.next_event(lambda ev: ev.get("type") == "t-x-takp-v")
        await jpn.send(cot("pytak-jpn-1", "a-f-G-U-C", 48.5, 33.1, "JPN-1"))
        await pol.next_event(of_uid("pytak-jpn-1"))
        await pol.send(cot("pytak-pol-1", "a-f-G-U-C", 48.5, 33.2, "POL-1"))
        # Once the Polish event is stored it has been routed; then a public event from an anonymous
        # client marks the end: neither the Japanese nor the anonymous client got the Polish one first.
        body = self.server.until("/api/v1/tracks/pytak-pol-1", lambda b: len(b["points"]) == 1)
        self.assertEqual(body["points"][0]["source"], "PYTAK-POL")
        await anon.send(cot("pytak-public-1", "a-f-G-U-C", 48.5, 33.3, "PUBLIC-1"))
        seen = await jpn.next_event(lambda ev: ev.get("uid") in ("pytak-pol-1", "pytak-public-1"))
        self.assertEqual(seen.get("uid"), "pytak-public-1", "the Japanese device never gets the Polish report")
        self.server.until("/api/v1/tracks/pytak-public-1", lambda b: len(b["points"]) == 1)
        # A new anonymous client's picture on join holds only the public report (the picture is sent
        # oldest first, so a leaked Polish or Japanese report would come before it).
        late = await Client.connect(self.tcp())
        seen = await late.next_event(lambda ev: ev.get("uid") in ("pytak-pol-1", "pytak-jpn-1", "pytak-public-1"))
        self.assertEqual(seen.get("uid"), "pytak-public-1", "the anonymous client sees only public data")
        for c in (pol, jpn, anon, late):
            await c.close()

    async def test_disabling_a_user_ends_its_devices_connection(self):
        est = await self.tls_as("PYTAK-EST")
        await est.next_event(lambda ev: ev.get("type") == "t-x-takp-v")
        self.server.until("/api/v1/tak/status", lambda b: b["stats"]["clients"] >= 1)
        # The operator disables the user from another process, as the docs say; the server notices.
        run("users", "disable", "est.rep", "--data-dir", self.server.data)
        with self.assertRaisesRegex(AssertionError, "the server closed the connection"):
            await est.next_event(lambda ev: False)
        body = self.server.until("/api/v1/tak/status", lambda b: b["stats"]["closed_user_disabled"] >= 1)
        self.assertEqual(body["stats"]["closed_user_disabled"], 1)
        await est.close()

    async def test_a_hostile_howitzer_marked_from_pytak_becomes_a_weapon_sighting(self):
        monitor = await Client.connect(self.tcp())
        await monitor.send(cot("pytak-marker-1", "a-h-G-E-W-H", 47.62, 35.75, "MONITOR-7", "2S19 seen from OP"))
        body = self.server.until("/api/v1/observations/cot-pytak-marker-1", lambda b: True)
        obs = body.get("observation", body)
        self.assertEqual(obs["category"], "weapon_sighting")
        self.assertEqual(obs["weapon_class"], "artillery_100mm")
        self.assertEqual(obs["observer"]["means"], "tak_device")
        self.assertEqual(obs["text"], "2S19 seen from OP")
        await monitor.close()

    async def test_entering_the_stand_off_zone_raises_a_geofence_alert_on_the_other_client(self):
        mover = await Client.connect(self.tcp())
        watcher = await Client.connect(self.tcp())
        await watcher.next_event(lambda ev: ev.get("type") == "t-x-takp-v")
        await mover.send(cot("pytak-mover", "a-f-G-U-C", 48.21, 35.6, "MOVER"))
        await watcher.next_event(of_uid("pytak-mover"))
        await mover.send(cot("pytak-mover", "a-f-G-U-C", 47.76, 35.6, "MOVER"))
        alert = await watcher.next_event(lambda ev: ev.get("type") == "b-a-g")
        self.assertIn("MOVER", alert.find("detail/remarks").text)
        self.assertEqual(alert.find("detail/link").get("uid"), "pytak-mover")
        body = self.server.until("/api/v1/geofence", lambda b: any(e["uid"] == "pytak-mover" for e in b["events"]))
        kinds = [(e["kind"], e["fence_id"]) for e in body["events"] if e["uid"] == "pytak-mover"]
        self.assertIn(("enter", "force_standoff"), kinds)
        await mover.close()
        await watcher.close()


if __name__ == "__main__":
    unittest.main()
