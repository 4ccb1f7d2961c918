//! CPU and memory from `/proc`: of the server (its process tree), of this generator, of the host.

use std::collections::HashMap;
use std::time::Instant;

/// `USER_HZ`: the unit of the CPU times in `/proc/*/stat` (100 on every Linux architecture in use).
const TICKS_PER_SECOND: f64 = 100.0;

/// user + system CPU time of a process (all its threads), in ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last `)`.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// RSS and PSS of a process, bytes.
fn memory(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kib| kib.parse::<u64>().ok())
            .map(|kib| kib * 1024)
    };
    Some((field("Rss:")?, field("Pss:")?))
}

/// A process and its descendants.
fn tree(roots: &[u32]) -> Vec<u32> {
    let mut seen = Vec::new();
    let mut stack = roots.to_vec();
    while let Some(pid) = stack.pop() {
        if seen.contains(&pid) {
            continue;
        }
        seen.push(pid);
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { continue };
        for task in tasks.flatten() {
            let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            stack.extend(children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()));
        }
    }
    seen
}

/// The server's processes at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    at: Instant,
    ticks: HashMap<u32, u64>,
    /// Summed RSS, bytes.
    pub rss: u64,
    /// Summed PSS, bytes.
    pub pss: u64,
    /// How many processes.
    pub nproc: usize,
}

/// Samples the process trees rooted at `roots`.
pub fn snapshot(roots: &[u32]) -> Snapshot {
    let mut s = Snapshot { at: Instant::now(), ticks: HashMap::new(), rss: 0, pss: 0, nproc: 0 };
    for pid in tree(roots) {
        if let Some(t) = cpu_ticks(pid) {
            s.ticks.insert(pid, t);
            let (rss, pss) = memory(pid).unwrap_or_default();
            s.rss += rss;
            s.pss += pss;
            s.nproc += 1;
        }
    }
    s
}

/// Cores the server used between two snapshots (a process new since `a` counts all its time).
pub fn cores_between(a: &Snapshot, b: &Snapshot) -> f64 {
    let dt = b.at.duration_since(a.at).as_secs_f64();
    if dt <= 0.0 {
        return 0.0;
    }
    let ticks: u64 = b.ticks.iter().map(|(pid, &t)| t.saturating_sub(a.ticks.get(pid).copied().unwrap_or(0))).sum();
    ticks as f64 / TICKS_PER_SECOND / dt
}

/// This process's CPU time, seconds.
pub fn own_cpu_seconds() -> f64 {
    cpu_ticks(std::process::id()).unwrap_or(0) as f64 / TICKS_PER_SECOND
}

/// The host's CPU counters at one moment.
#[derive(Debug, Clone, Copy)]
pub struct Host {
    busy: u64,
    total: u64,
    /// Logical CPUs.
    pub ncpu: usize,
}

/// Reads `/proc/stat`.
pub fn host() -> Host {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let v: Vec<u64> =
        text.lines().next().unwrap_or_default().split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    let ncpu =
        text.lines().filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit)).count();
    Host { busy: total - idle, total, ncpu: ncpu.max(1) }
}

/// Cores the whole host was busy between two readings.
pub fn host_busy_cores(a: &Host, b: &Host) -> f64 {
    let total = b.total.saturating_sub(a.total).max(1);
    b.busy.saturating_sub(a.busy) as f64 / total as f64 * b.ncpu as f64
}

/// The 1-minute load average.
pub fn loadavg1() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}
