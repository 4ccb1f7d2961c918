//! `truce users`: the accounts of a data directory, managed by the operator on the machine itself.
//!
//! A thin layer over [`truce_auth`] and the store's [`UserStore`]: `add` and `passwd` read the
//! password as one line of standard input (never an argument, which `ps` and shell histories would
//! show) and apply the password rules; `disable` ends the user's sessions and API tokens in the same
//! transaction; `token` prints a new API token once, to standard output, and keeps only its hash.
//! Bad arguments (role, nation, clearance, category, user name) are refused by the argument parser,
//! naming the flag; a short password, a duplicate or unknown user by the command; both exit with 2.
//! Nothing here prints or logs a password, a password hash or a token hash.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use truce_access::Role;
use truce_auth::{Sessions, Settings, accounts, password};
use truce_core::Marking;
use truce_store::{Scope, User, UserStore};

/// `truce users ...`.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user; the password is read as one line of standard input.
    Add(AddArgs),
    /// List the users: a table, or NDJSON with --json.
    List(ListArgs),
    /// Disable a user: it cannot log in, and its sessions and API tokens end at once.
    Disable(NameArgs),
    /// Enable a disabled user again (its old sessions and tokens stay ended).
    Enable(NameArgs),
    /// Change a user's password (read as one line of standard input); its logins end, API tokens stay.
    Passwd(PasswdArgs),
    /// Issue an API token for a machine feed acting as the user; printed once, to standard output.
    Token(TokenArgs),
}

/// The data directory.
#[derive(Debug, Args)]
pub struct DataDir {
    /// The data directory.
    #[arg(long, default_value = "./truce-data", env = "TRUCE_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Where the records are.
    #[command(flatten)]
    pub store: crate::args::StoreUrl,
}

/// `truce users add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The login name: a-z, 0-9, '.', '_', '-', starting with a letter or digit, at most 64.
    #[arg(value_parser = parse_name)]
    pub name: String,
    /// The user's nation: ISO 3166-1 alpha-3 in capitals (FRA, GBR, UKR).
    #[arg(long, value_name = "ISO3", value_parser = parse_nation)]
    pub nation: String,
    /// The role: admin, monitor, watch_officer, analyst, commission, planner, national_rep, auditor.
    #[arg(long, value_parser = parse_role)]
    pub role: Role,
    /// The highest classification the user may read.
    #[arg(long, value_name = "LEVEL", default_value = "NATO UNCLASSIFIED", value_parser = parse_clearance)]
    pub clearance: Marking,
    /// A restrictive category the user holds (repeatable).
    #[arg(long = "category", value_name = "C", value_parser = parse_category)]
    pub categories: Vec<String>,
    /// Read the password from standard input (one line): required, passwords are never arguments.
    #[arg(long, required = true)]
    pub password_stdin: bool,
    /// The data directory.
    #[command(flatten)]
    pub dir: DataDir,
}

/// `truce users list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// One JSON object per user and line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The data directory.
    #[command(flatten)]
    pub dir: DataDir,
}

/// A command on one user.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// The user.
    #[arg(value_parser = parse_name)]
    pub name: String,
    /// The data directory.
    #[command(flatten)]
    pub dir: DataDir,
}

/// `truce users passwd`.
#[derive(Debug, Args)]
pub struct PasswdArgs {
    /// The user.
    #[arg(value_parser = parse_name)]
    pub name: String,
    /// Read the new password from standard input (one line): required.
    #[arg(long, required = true)]
    pub password_stdin: bool,
    /// The data directory.
    #[command(flatten)]
    pub dir: DataDir,
}

/// `truce users token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The user the feed acts as.
    #[arg(value_parser = parse_name)]
    pub name: String,
    /// Days the token is valid (1 to 3,650).
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// The data directory.
    #[command(flatten)]
    pub dir: DataDir,
}

fn parse_name(s: &str) -> Result<String, String> {
    truce_store::check_name(s).map(|()| s.to_owned())
}

fn parse_nation(s: &str) -> Result<String, String> {
    truce_store::check_nation(s).map(|()| s.to_owned())
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

fn parse_clearance(s: &str) -> Result<Marking, String> {
    s.parse().map_err(|e: String| format!("unknown clearance: {e}"))
}

fn parse_category(s: &str) -> Result<String, String> {
    truce_store::check_category(s).map(|()| s.to_owned())
}

/// Runs a `truce users` command.
pub fn run(command: &UsersCommand) -> anyhow::Result<ExitCode> {
    let now = OffsetDateTime::now_utc();
    match command {
        UsersCommand::Add(args) => add(args, now),
        UsersCommand::List(args) => list(args),
        UsersCommand::Disable(args) => set_disabled(args, true, now),
        UsersCommand::Enable(args) => set_disabled(args, false, now),
        UsersCommand::Passwd(args) => passwd(args, now),
        UsersCommand::Token(args) => token(args, now),
    }
}

/// Records a user change in the audit log, as the operator (the login name of the process, from
/// `USER`): in the shared database's log when the store is one, else in the data directory's (through
/// its inbox while a server holds the log).
fn audit(dir: &Path, store: &dyn Scope, action: &str, name: &str, detail: String) -> anyhow::Result<()> {
    let operator = std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "operator".to_owned());
    let entry = truce_audit::Entry::new(truce_audit::Kind::UserChange, format!("{operator} (operator)"), action)
        .target(name)
        .detail(detail);
    let done = match store.audit_table() {
        Some(table) => truce_audit::AuditLog::open_table(dir, table).and_then(|log| log.append(&entry).map(|_| ())),
        None => truce_audit::inbox::submit(dir, &entry),
    };
    done.with_context(|| format!("the change is made but could not be audited in {}", dir.display()))
}

/// Opens the store; `create` for `add`, the first command on a new data directory.
fn open(dir: &DataDir, create: bool) -> anyhow::Result<Arc<dyn truce_store::Store>> {
    crate::args::records(&dir.data_dir, dir.store.get(), create)
}

/// One line of standard input, without its line ending, checked against the password rules.
fn read_password() -> anyhow::Result<String> {
    let mut line = Vec::new();
    // A little more than the longest password allowed, so a longer one is reported as such.
    std::io::stdin()
        .lock()
        .take(password::MAX_BYTES as u64 + 3)
        .read_until(b'\n', &mut line)
        .context("--password-stdin: cannot read standard input")?;
    if line.is_empty() {
        anyhow::bail!("--password-stdin: standard input is empty; give the password as one line");
    }
    if line.ends_with(b"\n") {
        line.pop();
        if line.ends_with(b"\r") {
            line.pop();
        }
    }
    let password =
        String::from_utf8(line).map_err(|_| anyhow::anyhow!("--password-stdin: the password is not UTF-8"))?;
    password::check(&password).map_err(|e| anyhow::anyhow!("--password-stdin: {e}"))?;
    Ok(password)
}

fn add(args: &AddArgs, now: OffsetDateTime) -> anyhow::Result<ExitCode> {
    let password = read_password()?;
    let store = open(&args.dir, true)?;
    let user = User {
        name: args.name.clone(),
        nation: args.nation.clone(),
        role: args.role,
        clearance: args.clearance,
        categories: args.categories.clone(),
        disabled: false,
        created: now,
        updated: now,
    };
    accounts::add_user(&*store, &user, &password).with_context(|| format!("users add {}", args.name))?;
    let cats = if user.categories.is_empty() { "-".to_owned() } else { user.categories.join(",") };
    let detail = format!("nation {}, role {}, clearance {}, categories {cats}", user.nation, user.role, user.clearance);
    audit(&args.dir.data_dir, &*store, "users add", &user.name, detail)?;
    outln!("added {} ({}, {}, {})", user.name, user.nation, user.role, user.clearance);
    Ok(ExitCode::SUCCESS)
}

fn list(args: &ListArgs) -> anyhow::Result<ExitCode> {
    let store = open(&args.dir, false)?;
    let users = store.list_users()?;
    if args.json {
        for u in &users {
            let line = serde_json::json!({
                "name": u.name,
                "nation": u.nation,
                "role": u.role,
                "clearance": u.clearance,
                "categories": u.categories,
                "disabled": u.disabled,
                "created": u.created.format(&Rfc3339)?,
                "updated": u.updated.format(&Rfc3339)?,
            });
            outln!("{line}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let name_width = users.iter().map(|u| u.name.len()).max().unwrap_or(0).max(4);
    outln!(
        "{:<name_width$}  {:<6}  {:<13}  {:<17}  {:<8}  {:<20}  categories",
        "name",
        "nation",
        "role",
        "clearance",
        "status",
        "created"
    );
    for u in &users {
        let categories = if u.categories.is_empty() { "-".to_owned() } else { u.categories.join(",") };
        let created = truce_formats::when::show(u.created);
        outln!(
            "{:<name_width$}  {:<6}  {:<13}  {:<17}  {:<8}  {:<20}  {categories}",
            u.name,
            u.nation,
            u.role.id(),
            u.clearance.id(),
            if u.disabled { "disabled" } else { "enabled" },
            created,
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn set_disabled(args: &NameArgs, disabled: bool, now: OffsetDateTime) -> anyhow::Result<ExitCode> {
    let store = open(&args.dir, false)?;
    let verb = if disabled { "disable" } else { "enable" };
    let ended = store.set_disabled(&args.name, disabled, now).with_context(|| format!("users {verb} {}", args.name))?;
    audit(
        &args.dir.data_dir,
        &*store,
        &format!("users {verb}"),
        &args.name,
        format!("{ended} session(s) and token(s) ended"),
    )?;
    if disabled {
        outln!("disabled {}: {ended} session(s) and API token(s) ended", args.name);
    } else {
        outln!("enabled {}", args.name);
    }
    Ok(ExitCode::SUCCESS)
}

fn passwd(args: &PasswdArgs, now: OffsetDateTime) -> anyhow::Result<ExitCode> {
    let password = read_password()?;
    let store = open(&args.dir, false)?;
    accounts::set_password(&*store, &args.name, &password, now)
        .with_context(|| format!("users passwd {}", args.name))?;
    audit(&args.dir.data_dir, &*store, "users passwd", &args.name, String::new())?;
    outln!("password of {} changed; its logins ended", args.name);
    Ok(ExitCode::SUCCESS)
}

fn token(args: &TokenArgs, now: OffsetDateTime) -> anyhow::Result<ExitCode> {
    let store = open(&args.dir, false)?;
    let users: Arc<dyn UserStore> = store.clone();
    let sessions = Sessions::new(users, Settings::default());
    let expires = now + time::Duration::days(i64::from(args.days));
    let token = sessions
        .issue_api_token(&args.name, Some(expires), now)
        .with_context(|| format!("users token {}", args.name))?;
    audit(
        &args.dir.data_dir,
        &*store,
        "users token",
        &args.name,
        format!("an API token valid for {} days", args.days),
    )?;
    // The token alone on standard output (for a pipe into a secret store); the rest on standard error.
    outln!("{token}");
    eprintln!(
        "API token for {} valid until {}; it is shown only this once",
        args.name,
        truce_formats::when::show(expires)
    );
    Ok(ExitCode::SUCCESS)
}
