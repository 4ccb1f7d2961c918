//! `truce`: the command line. A thin `main` that parses arguments and hands each command to its module;
//! errors print as chains and exit codes are deliberate (0 success, 1 bad records, 2 bad invocation or
//! invalid agreement).
//!
//! Standard output is written with the `out!` and `outln!` macros below, never `print!`: a reader that
//! goes away early (`truce ... | head`) makes the write fail with a broken pipe, which ends the command
//! quietly with exit code 0, as `head` asked, instead of a panic.

/// Writes to standard output like `print!`, returning the write's error from the enclosing function.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// Writes a line to standard output like `println!`, returning the write's error from the enclosing
/// function.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// The allocator: mimalloc returns freed pages to the operating system within milliseconds, where
/// glibc's malloc kept the peaks of past requests (a server on ten million observations held 532 MB
/// of which 193 MB were in use). Built with `override`, it is also the C library's `malloc`, so the
/// embedded SQLite's page caches, given back after each watch round (`Scope::release_memory`), leave
/// the process too instead of staying in glibc's heap. Built with `no_thp`: transparent huge pages,
/// zeroed 2 MB at a time on first touch, cost a short command a sixth of its time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod cli;
mod cmd_agreement;
mod cmd_audit;
mod cmd_case;
mod cmd_certs;
mod cmd_classify;
mod cmd_coalition;
mod cmd_config;
mod cmd_decode;
mod cmd_demo;
mod cmd_ingest;
#[cfg(feature = "postgres")]
mod cmd_migrate;
mod cmd_observations;
mod cmd_report;
mod cmd_serve;
mod cmd_users;
mod cmd_warn;
mod config;
mod outfile;
mod server;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // The reader of standard output went away (`| head`): what it wanted is written.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // A file with several problems: every one of them first, then what failed.
            if let Some(n) = e.chain().find_map(|c| c.downcast_ref::<truce_node::NodeError>()) {
                for p in n.problems() {
                    eprintln!("error: {p}");
                }
            }
            if let Some(c) = e.chain().find_map(|c| c.downcast_ref::<truce_node::config::ConfigErrors>()) {
                for p in &c.0 {
                    eprintln!("error: {p}");
                }
            }
            eprintln!("truce: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether the error is a write to a closed pipe, however it was wrapped (serde_json keeps the I/O
/// error's kind but not the error itself in the chain).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        cli::Command::Agreement { command: cli::AgreementCommand::Check(args) } => cmd_agreement::check(&args),
        cli::Command::Classify(args) => cmd_classify::run(&args),
        cli::Command::Ingest(args) => cmd_ingest::run(&args),
        cli::Command::Observations(args) => cmd_observations::run(&args),
        cli::Command::Serve(args) => cmd_serve::run(&args),
        cli::Command::Demo(args) => cmd_demo::run(&args),
        cli::Command::Report { command } => cmd_report::run(&command),
        cli::Command::Warn { command } => cmd_warn::run(&command),
        cli::Command::Incidents(args) => cmd_case::incidents(&args),
        cli::Command::Case { command } => cmd_case::case(&command),
        cli::Command::Coalition { command } => cmd_coalition::coalition(&command),
        cli::Command::Plan { command } => cmd_coalition::plan(&command),
        cli::Command::Regeneration { command } => cmd_coalition::regeneration(&command),
        cli::Command::Config { command } => cmd_config::run(&command),
        cli::Command::Decode { command } => cmd_decode::run(&command),
        cli::Command::Certs { command } => cmd_certs::run(&command),
        cli::Command::Users { command } => cmd_users::run(&command),
        cli::Command::Audit { command } => cmd_audit::run(&command),
        #[cfg(feature = "postgres")]
        cli::Command::Migrate(args) => cmd_migrate::run(&args),
    }
}
