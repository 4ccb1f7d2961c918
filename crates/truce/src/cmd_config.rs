//! `truce config check FILE`: loads a configuration file as `truce serve` and `truce demo` would,
//! with the `TRUCE_*` variables of the environment over it, and prints the effective configuration
//! (every key, defaults filled in) or every problem (`FILE:LINE: key: reason`, exit code 2).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use truce_node::config::ConfigFile;

use crate::args::{DemoArgs, ServeArgs};

/// `truce config ...`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a configuration file and print the effective configuration (file, then TRUCE_*
    /// variables, then defaults), or every problem with its line; exit code 2 on a problem.
    Check(CheckArgs),
}

/// `truce config check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The configuration file (TOML, docs/config.md).
    pub file: PathBuf,
}

/// A command's arguments parsed from an empty command line: what the environment gives.
#[derive(Debug, Parser)]
struct FromEnv<T: Args> {
    #[command(flatten)]
    args: T,
}

pub fn run(cmd: &ConfigCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Check(args) => check(args),
    }
}

fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let mut c = ConfigFile::load(&args.file)?;
    // The variables as `serve` and `demo` read them: their flags parsed from nothing but the
    // environment.
    let serve = FromEnv::<ServeArgs>::try_parse_from(["truce serve"])?;
    crate::config::apply_serve(&serve.args, &mut c);
    c.tak_on_http_host();
    let demo = FromEnv::<DemoArgs>::try_parse_from(["truce demo"])?;
    crate::config::apply_demo(&demo.args, &mut c);
    out!(
        "# The effective configuration of {} (with the TRUCE_* variables of this environment)\n{}",
        args.file.display(),
        c.to_toml()
    );
    Ok(ExitCode::SUCCESS)
}
