//! The `passerelle` command line: each command parses its arguments, calls
//! the domain, and prints one line per result (errors: one line on stderr
//! and a non-zero exit code).

mod archive;
mod demo;
mod dfc;
mod documents;
mod federation;
mod inbox;
mod lookup;
mod moving;
mod progress;
mod token;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::node::{Node, shutdown_signal};
use crate::store::Store;
use passerelle_config::Settings;
use passerelle_observability::logging;

/// Exit code for a configuration that cannot be used (as clap uses for bad usage).
const EXIT_CONFIG: u8 = 2;
/// Exit code for a failure while running (database unreachable, port taken...).
const EXIT_FAILURE: u8 = 1;

#[derive(Parser)]
#[command(
    name = "passerelle",
    version,
    about = "Federation gateway for cooperative platforms",
    long_about = "Passerelle publishes a cooperative platform's offers, members and charter \
commitments as signed ActivityStreams objects and shares them only with the peer \
platforms its administrators approve.\n\n\
Settings come from a TOML file (--config, or ./passerelle.toml when present) and are \
overridden by PASSERELLE_* environment variables, nested keys joined with `__` \
(for example PASSERELLE_PLATFORM__SLUG=ofn). See passerelle.example.toml."
)]
struct Cli {
    /// TOML settings file [default: passerelle.toml when it exists]
    #[arg(long, short = 'c', global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the node: migrate the database, then serve HTTP until SIGINT/SIGTERM
    Serve,
    /// Apply pending database migrations and exit
    Migrate {
        /// Apply nothing: exit 0 when the schema matches this build, 1 when
        /// it is behind (pending migrations) or ahead (unknown ones)
        #[arg(long)]
        check: bool,
    },
    /// Write the node's whole state to FILE (gzip JSON lines); it holds the node's secrets
    ///
    /// The archive holds the node's private signing keys, the hashes of its
    /// API tokens and console sessions, and its webhook secrets: whoever
    /// has it can sign as this node and forge its webhooks. FILE is written
    /// readable by its owner only (mode 0600); keep it like the database,
    /// encrypted when it leaves the machine, and delete it once imported.
    Export {
        file: PathBuf,
        /// Write the archive for the node's new public URL (the first step
        /// of `passerelle move`): what the node published takes ids there,
        /// signed again with the same key, and the new node lists this one
        /// as its earlier address (alsoKnownAs)
        #[arg(long, value_name = "URL")]
        moving_to: Option<url::Url>,
    },
    /// Read an export into this node's empty database; the archive holds the node's secrets
    ///
    /// The archive holds the node's private signing keys, token and session
    /// hashes and webhook secrets: import only an archive you exported and
    /// kept private. Lines longer than 16 MiB are refused (a damaged or
    /// hostile file), and any refusal changes nothing.
    Import { file: PathBuf },
    /// Copy a SQLite database to FILE while the node runs
    Backup { file: PathBuf },
    /// Create, list and revoke API tokens
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Check the integrity proof of an object (a file, or a URL to fetch)
    Verify(verify::VerifyArgs),
    /// Fetch an actor, object or collection (URL or @name@host) as this
    /// node, with a signed request, check its proofs and print it
    Lookup(lookup::LookupArgs),
    /// Run a throw-away actor that follows peers and prints every activity
    /// it is sent, with the verdict on its signature and proofs
    Inbox(inbox::InboxArgs),
    /// Ask a peer (@name@host or actor URL) to let this node follow it
    Follow { target: String },
    /// Stop following a peer (@name@host, actor URL or follow id)
    Unfollow { target: String },
    /// List, approve and reject follow requests
    #[command(subcommand)]
    Requests(federation::RequestsCommand),
    /// List, exclude and re-include peers
    #[command(subcommand)]
    Peers(federation::PeersCommand),
    /// Show the latest governance decisions
    Audit {
        #[arg(long, default_value_t = 30)]
        limit: i64,
    },
    /// Run three seeded nodes on this machine to try the console
    Demo(demo::DemoArgs),
    /// Move the node to the public URL of a node made from its archive
    /// (`export --moving-to`): peers are sent a Move and follow it there;
    /// this address then redirects to the new one
    Move {
        /// The new node's public URL
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Manage the node's keys
    #[command(subcommand)]
    Keys(federation::KeysCommand),
    /// Import Data Food Consortium (Open Food Network) catalogs as offers
    #[command(subcommand)]
    Dfc(dfc::DfcCommand),
}

/// The command line's definition, every command and flag, as clap parses
/// it: what the documentation's examples are checked against.
pub fn definition() -> clap::Command {
    Cli::command()
}

/// Runs the command line; the process exit code is the result.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("passerelle: configuration error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if matches!(cli.command, Command::Serve) {
        logging::init(&settings.log);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("passerelle: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILURE);
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Serve => serve(settings).await,
            Command::Migrate { check: false } => migrate(settings).await,
            Command::Migrate { check: true } => archive::check_migrations(settings).await,
            Command::Export { file, moving_to } => archive::export(settings, file, moving_to).await,
            Command::Import { file } => archive::import(settings, file).await,
            Command::Backup { file } => archive::backup(settings, file).await,
            Command::Token(command) => token::run(settings, command).await,
            Command::Verify(args) => verify::run(settings, args).await,
            Command::Lookup(args) => lookup::run(settings, args).await,
            Command::Inbox(args) => inbox::run(settings, args).await,
            Command::Follow { target } => federation::follow(settings, target).await,
            Command::Unfollow { target } => federation::unfollow(settings, target).await,
            Command::Requests(command) => federation::requests(settings, command).await,
            Command::Peers(command) => federation::peers(settings, command).await,
            Command::Audit { limit } => federation::audit(settings, limit.clamp(1, 1000)).await,
            Command::Move { to } => moving::run(settings, to).await,
            Command::Keys(command) => federation::keys(settings, command).await,
            Command::Demo(args) => demo::run(args).await,
            Command::Dfc(command) => dfc::run(settings, command).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("passerelle: {message}");
            ExitCode::from(EXIT_FAILURE)
        }
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    let listen = settings.listen;
    let public_url = settings.public_url.clone();
    let node = Node::open(settings)
        .await
        .map_err(|e| format!("cannot open the node: {e}"))?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    tracing::info!(%listen, %public_url, version = crate::VERSION, "passerelle node serving");
    announce_setup_link(&node).await;
    node.serve(listener, shutdown_signal())
        .await
        .map_err(|e| e.to_string())
}

/// On a node without an admin token, prints (once, to the log) a one-time
/// link that creates the first one in the browser. A failure here only
/// costs the link: the node serves anyway.
async fn announce_setup_link(node: &Node) {
    match crate::domain::setup::issue(node.context()).await {
        // The link is in the message itself: plain in text and JSON logs alike.
        Ok(Some(link)) => tracing::warn!(
            "no admin token yet: open {link} in a browser within 30 minutes to create the \
             first admin token and sign in to the console (the link works once; restart \
             the node for a new one)"
        ),
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, "cannot issue a setup link"),
    }
}

/// Opens the database and brings its schema up to date, for commands that
/// work on the database without serving.
async fn open_store(settings: &Settings) -> Result<Store, String> {
    let kind = settings.database_kind().map_err(|e| e.to_string())?;
    let store = Store::connect(&settings.database_url, kind)
        .await
        .map_err(|e| format!("cannot reach the database: {e}"))?;
    store.migrate().await.map_err(|e| e.to_string())?;
    Ok(store)
}

async fn migrate(settings: Settings) -> Result<(), String> {
    let store = open_store(&settings).await?;
    let (expected, applied) = store.migration_status().await.map_err(|e| e.to_string())?;
    println!("database up to date: {applied} of {expected} migrations applied");
    store.close().await;
    Ok(())
}
