//! Helpers: run the real binary, find the shipped data.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(rel)
}

pub fn agreement() -> PathBuf {
    data("agreements/illustrative.toml")
}

/// The early-warning sectors `serve` runs with (the shipped file on the illustrative agreement).
pub fn shipped_sectors() -> truce_watch::Sectors {
    let agreement = truce_engine::Agreement::load(&agreement()).unwrap();
    truce_watch::Sectors::load(&data("warning/sectors.toml"), &agreement).unwrap()
}

/// The id of the shipped sector a position is in, as the server assigns it.
pub fn sector_of(sectors: &truce_watch::Sectors, lat: f64, lon: f64) -> Option<String> {
    sectors.assign(truce_geo::LonLat::new(lon, lat)).map(|i| sectors.sectors[i].id.clone())
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

thread_local! {
    /// The store every `truce` this thread starts keeps its records in (`TRUCE_STORE`), when not the
    /// data directory's embedded one: [`on_store`].
    static STORE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` with every `truce` it starts (commands and servers, from this thread) on the store `url`:
/// a whole test, unchanged, on PostgreSQL.
pub fn on_store<T>(url: &str, f: impl FnOnce() -> T) -> T {
    STORE.with(|s| *s.borrow_mut() = Some(url.to_owned()));
    let result = f();
    STORE.with(|s| *s.borrow_mut() = None);
    result
}

/// The `TRUCE_STORE` of [`on_store`], for a process about to start.
fn store_env() -> Vec<(&'static str, String)> {
    STORE.with(|s| s.borrow().clone()).map(|u| ("TRUCE_STORE", u)).into_iter().collect()
}

/// Runs `truce` with `args`, feeding `stdin`.
pub fn truce(args: &[&str], stdin: &[u8]) -> Run {
    truce_with(args, &[], stdin)
}

/// [`truce`] with environment variables set for the process.
pub fn truce_with(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_truce"))
        .args(args)
        .envs(store_env())
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run truce");
    let mut input = child.stdin.take().expect("stdin");
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The binary may stop reading early (e.g. --strict); a broken pipe is fine then.
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("wait for truce");
    writer.join().expect("stdin writer");
    let run = Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    };
    assert!(!run.stderr.contains("panicked"), "truce panicked:\n{}", run.stderr);
    run
}

/// A `truce serve` (or `demo`) process on 127.0.0.1, killed when dropped.
pub struct Server {
    pub child: std::process::Child,
    pub addr: String,
    /// The lines the process printed, other than its address.
    lines: std::sync::Mutex<std::sync::mpsc::Receiver<String>>,
    /// The session every request carries (the admin's, after [`serve`] or a demo), if any.
    token: std::sync::Mutex<Option<String>>,
}

/// The password of the users tests make.
pub const PASSWORD: &str = "test-password-1234";

/// The demo's password (see `truce demo`).
pub const DEMO_PASSWORD: &str = "ceasefire-demo";

/// Adds a user to a data directory with `truce users add` (nothing when it exists already).
pub fn add_user(dir: &Path, name: &str, nation: &str, role: &str, clearance: &str, categories: &[&str]) {
    let dir = dir.to_str().expect("a UTF-8 path");
    let mut args = vec!["users", "add", name, "--data-dir", dir, "--nation", nation, "--role", role];
    args.extend(["--clearance", clearance, "--password-stdin"]);
    for c in categories {
        args.extend(["--category", c]);
    }
    let run = truce(&args, format!("{PASSWORD}\n").as_bytes());
    assert!(run.code == 0 || run.stderr.contains("exists already"), "users add {name}: {}", run.stderr);
}

/// The categories of the shipped label policy (an admin holding them all sees everything).
pub const ALL_CATEGORIES: &[&str] = &["MONITOR-LOCATIONS", "SOURCES", "SIGINT", "COMMISSION"];

/// `truce serve` on a data directory with the illustrative agreement on a free port, plus `extra`
/// arguments.
///
/// The data directory gets an `admin` user (GBR, COSMIC TOP SECRET, every category) and every request
/// of the returned server carries the admin's session.
pub fn serve(dir: &Path, extra: &[&str]) -> Server {
    add_user(dir, "admin", "GBR", "admin", "COSMIC TOP SECRET", ALL_CATEGORIES);
    let server = serve_plain(dir, extra);
    let token = server.login("admin", PASSWORD);
    server.use_token(Some(&token));
    server
}

/// [`serve`] without a user or a session.
pub fn serve_plain(dir: &Path, extra: &[&str]) -> Server {
    let dir = dir.to_str().expect("a UTF-8 path");
    let agreement = agreement();
    let mut args = vec!["serve", "--data-dir", dir, "--agreement", agreement.to_str().expect("a UTF-8 path")];
    args.extend(["--listen", "127.0.0.1:0"]);
    args.extend(extra);
    Server::start(&args)
}

impl Server {
    /// Starts `truce <args>` and waits for the line announcing its address.
    pub fn start(args: &[&str]) -> Server {
        Server::start_in(Path::new("."), args)
    }

    /// Starts `truce <args>` in the directory `cwd` (the demo reads the shipped data relative to it).
    /// A `serve` without TAK addresses gets its TAK listeners on free loopback ports, so that tests
    /// running at once do not contend for 8087 and 6969.
    pub fn start_in(cwd: &Path, args: &[&str]) -> Server {
        Server::start_with(cwd, args, &[])
    }

    /// [`Server::start_in`] with environment variables set for the process.
    pub fn start_with(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        use std::io::BufRead;
        let mut args: Vec<&str> = args.to_vec();
        if args.first() == Some(&"serve") && !args.iter().any(|a| a.starts_with("--tak-")) {
            args.extend(["--tak-tcp", "127.0.0.1:0", "--tak-udp", "127.0.0.1:0"]);
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_truce"))
            .args(&args)
            .envs(store_env())
            .envs(env.iter().copied())
            .current_dir(cwd)
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("TRUCE_TEST_SERVER_LOG").is_some() { Stdio::inherit() } else { Stdio::piped() })
            .spawn()
            .expect("start truce");
        // The last lines of the server's log, drained all along (a full pipe would block it), shown if
        // it exits before listening.
        let log = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::<String>::new()));
        if let Some(stderr) = child.stderr.take() {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                    let mut log = log.lock().expect("log");
                    if log.len() == 40 {
                        log.pop_front();
                    }
                    log.push_back(line);
                }
            });
        }
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = std::io::BufReader::new(stdout).lines();
        // Every line stays readable (the TAK listeners are announced before the HTTP address).
        let (tx, rx) = std::sync::mpsc::channel();
        let addr = loop {
            let Some(line) = lines.next() else {
                let status = child.wait().expect("wait for truce");
                let log = log.lock().expect("log").iter().cloned().collect::<Vec<_>>().join("\n");
                panic!("truce exited before listening ({status}); its log ends:\n{log}");
            };
            let line = line.expect("read stdout");
            if let Some(rest) = line.split("http://").nth(1).or_else(|| line.split("https://").nth(1)) {
                break rest.trim_end_matches('/').to_owned();
            }
            let _ = tx.send(line);
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let server = Server { child, addr, lines: std::sync::Mutex::new(rx), token: std::sync::Mutex::new(None) };
        if args.first() == Some(&"demo") {
            let token = server.login("admin", DEMO_PASSWORD);
            server.use_token(Some(&token));
        }
        server
    }

    /// Whether `/metrics` has the line `line` now.
    pub fn has_metric(&self, line: &str) -> bool {
        let (status, metrics) = self.http("GET", "/metrics", b"");
        assert_eq!(status, 200, "{metrics}");
        metrics.lines().any(|l| l == line)
    }

    /// Waits until `/metrics` has the line `line`; fails with `what` after two minutes.
    pub fn wait_for_metric(&self, line: &str, what: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        while !self.has_metric(line) {
            assert!(std::time::Instant::now() < deadline, "{what}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// Logs in and returns the session token.
    pub fn login(&self, user: &str, password: &str) -> String {
        let body = serde_json::json!({"user": user, "password": password}).to_string();
        let reply = self.request_as(None, "POST", "/api/v1/login", body.as_bytes());
        assert_eq!(reply.status, 200, "login as {user}: {}", String::from_utf8_lossy(&reply.body));
        let v: serde_json::Value = serde_json::from_slice(&reply.body).expect("a JSON login answer");
        v["token"].as_str().expect("a token").to_owned()
    }

    /// Makes every later request carry `token` (or none).
    pub fn use_token(&self, token: Option<&str>) {
        *self.token.lock().expect("token") = token.map(str::to_owned);
    }

    /// Opens the WebSocket stream with the server's session.
    pub fn stream(&self) -> tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>> {
        self.stream_as(self.token().as_deref()).expect("websocket")
    }

    /// Opens the WebSocket stream with `token` (or none).
    pub fn stream_as(
        &self,
        token: Option<&str>,
    ) -> tungstenite::Result<tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>> {
        self.stream_query_as(token, "")
    }

    /// Opens `GET /api/v1/stream?QUERY` (`query` without the `?`; empty for none) as the holder of `token`.
    pub fn stream_query_as(
        &self,
        token: Option<&str>,
        query: &str,
    ) -> tungstenite::Result<tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>> {
        use tungstenite::client::IntoClientRequest;
        let q = if query.is_empty() { String::new() } else { format!("?{query}") };
        let mut req = format!("ws://{}/api/v1/stream{q}", self.addr).into_client_request()?;
        if let Some(t) = token {
            let v = format!("Bearer {t}").parse().expect("a header value");
            req.headers_mut().insert("Authorization", v);
        }
        tungstenite::connect(req).map(|(ws, _)| ws)
    }

    /// The session requests carry now.
    pub fn token(&self) -> Option<String> {
        self.token.lock().expect("token").clone()
    }

    /// Sends one HTTP/1.1 request and returns the status and body.
    pub fn http(&self, method: &str, path: &str, body: &[u8]) -> (u16, String) {
        let reply = self.request(method, path, body);
        (reply.status, String::from_utf8_lossy(&reply.body).into_owned())
    }

    /// Sends one HTTP/1.1 request with the server's session and returns the status, the headers and
    /// the body's bytes.
    pub fn request(&self, method: &str, path: &str, body: &[u8]) -> Reply {
        let token = self.token();
        self.request_as(token.as_deref(), method, path, body)
    }

    /// [`Server::request`] with the session `token` (or none).
    pub fn request_as(&self, token: Option<&str>, method: &str, path: &str, body: &[u8]) -> Reply {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&self.addr).expect("connect");
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        s.write_all(head.as_bytes()).expect("write request");
        // The server may answer (e.g. 413) before reading a large body: a broken pipe is fine then.
        let _ = s.write_all(body);
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n");
        let (head, payload) = match split {
            Some(i) => (String::from_utf8_lossy(&raw[..i]).into_owned(), &raw[i + 4..]),
            None => (String::from_utf8_lossy(&raw).into_owned(), &[][..]),
        };
        let status: u16 =
            head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("no status in {head:?}"));
        let headers: Vec<(String, String)> = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let chunked = headers.iter().any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
        let body = if chunked { dechunk(payload) } else { payload.to_vec() };
        Reply { status, headers, body }
    }

    pub fn json(&self, method: &str, path: &str, body: &[u8]) -> (u16, serde_json::Value) {
        let (status, text) = self.http(method, path, body);
        (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}")))
    }

    /// The address of the TAK listener `what` (`tcp`, `tls`, `udp`), from the line the server prints.
    pub fn tak_addr(&self, what: &str) -> String {
        self.printed(&format!("TAK CoT over {what} on "))
    }

    /// What follows `marker` on the next line the server printed that holds it (lines before it are
    /// consumed).
    pub fn printed(&self, marker: &str) -> String {
        let lines = self.lines.lock().expect("lines");
        loop {
            let line = lines.recv_timeout(std::time::Duration::from_secs(30)).expect("the line with the marker");
            if let Some(addr) = line.split(marker).nth(1) {
                return addr.trim().to_owned();
            }
        }
    }

    /// Kills the process with SIGKILL: no chance to flush or clean up.
    /// Sends SIGTERM to the server.
    pub fn terminate(&self) {
        let kill = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(kill.success());
    }

    /// Waits for the process to end, failing the test if it has not `within` of `since`.
    pub fn wait_exit(&mut self, since: std::time::Instant, within: std::time::Duration) -> std::process::ExitStatus {
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(since.elapsed() < within, "still running {within:?} after the signal");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dechunk(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        let (size, tail) = (&rest[..i], &rest[i + 2..]);
        let n = std::str::from_utf8(size).ok().and_then(|s| usize::from_str_radix(s.trim(), 16).ok()).unwrap_or(0);
        if n == 0 || tail.len() < n {
            break;
        }
        out.extend_from_slice(&tail[..n]);
        rest = tail[n..].strip_prefix(b"\r\n").unwrap_or(&tail[n..]);
    }
    out
}

/// An HTTP response: status, headers (names in lower case) and body.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    /// The first header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// POSTs `body` (JSON) to `path` on the server at `addr` with the session `token`: the status, or
/// `None` when no server answered (it is down, or died while answering).
pub fn post_json(addr: &str, token: &str, path: &str, body: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(30))).ok()?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body.as_bytes()).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    String::from_utf8_lossy(&raw).split(' ').nth(1)?.parse().ok()
}

/// Runs `run` with the path of a named pipe made in `dir` as its `--out`, and returns what it wrote
/// into the pipe. The test's own handle, read and write, is opened first (that never waits on Linux):
/// the reading end opened next does not wait for a writer, and it sees the end of the text only once
/// that handle is closed too, after the run, whether or not the run wrote into the pipe. After the
/// run the pipe must still be a pipe and nothing else be left in `dir`.
pub fn through_a_pipe(dir: &Path, run: impl FnOnce(&str) -> Run) -> (Run, Vec<u8>) {
    use std::io::Read;
    use std::os::unix::fs::FileTypeExt;
    let fifo = dir.join("out.pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success(), "mkfifo {}", fifo.display());
    let keeper = std::fs::OpenOptions::new().read(true).write(true).open(&fifo).unwrap();
    let mut pipe = std::fs::File::open(&fifo).unwrap();
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        pipe.read_to_end(&mut bytes).unwrap();
        bytes
    });
    let done = run(fifo.to_str().unwrap());
    drop(keeper);
    let bytes = reader.join().unwrap();
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe was replaced: {}", done.stderr);
    let left: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, [std::ffi::OsString::from("out.pipe")], "nothing but the pipe is left");
    (done, bytes)
}
