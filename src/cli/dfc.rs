//! `passerelle dfc import URL`: one import run of a DFC catalog, with the
//! node's settings and database, as a configured source's run would do
//! (a running node delivers what it published within a second).
//! `passerelle dfc forget URL`: the offers a source's items became are
//! deleted (a `Delete` sent), and the node forgets the source.

use clap::{Args, Subcommand};
use url::Url;

use crate::domain::dfc::{self, Source};
use crate::node::Node;
use passerelle_config::Settings;

#[derive(Subcommand)]
pub enum DfcCommand {
    /// Import a DFC catalog once: each catalog item becomes (or updates) an
    /// offer, items gone from the catalog are deleted; all or nothing
    Import(ImportArgs),
    /// Delete every offer imported from a DFC catalog and forget the
    /// source (after removing it from the settings, or before changing its
    /// URL); one transaction
    Forget(ForgetArgs),
}

#[derive(Args)]
pub struct ForgetArgs {
    /// The catalog's URL, as it was imported
    url: String,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The catalog's URL (OFN: https://HOST/api/dfc/enterprises/ID/catalog_items)
    url: String,
    /// API key sent in X-Api-Token
    #[arg(long, conflicts_with = "token_env")]
    token: Option<String>,
    /// Environment variable holding the API key
    #[arg(long, value_name = "VARIABLE")]
    token_env: Option<String>,
}

pub async fn run(settings: Settings, command: DfcCommand) -> Result<(), String> {
    match command {
        DfcCommand::Import(args) => import(settings, args).await,
        DfcCommand::Forget(args) => forget(settings, args).await,
    }
}

async fn forget(settings: Settings, args: ForgetArgs) -> Result<(), String> {
    let node = Node::open(settings)
        .await
        .map_err(|e| format!("cannot open the node: {e}"))?;
    let outcome = dfc::forget(node.context(), &args.url, &super::federation::operator()).await;
    node.context().store.close().await;
    let deleted =
        outcome.map_err(|e| format!("cannot forget {}, nothing changed: {e}", args.url))?;
    println!("forgot {}: {deleted} offers deleted", args.url);
    Ok(())
}

async fn import(settings: Settings, args: ImportArgs) -> Result<(), String> {
    let catalog_url = Url::parse(&args.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| format!("`{}` is not an http(s) URL", args.url))?;
    let api_token = match (args.token, args.token_env) {
        (Some(token), _) => Some(token),
        (None, Some(variable)) => Some(
            std::env::var(&variable)
                .map_err(|_| format!("the environment variable {variable} is not set"))?,
        ),
        (None, None) => None,
    };
    let node = Node::open(settings)
        .await
        .map_err(|e| format!("cannot open the node: {e}"))?;
    let source = Source {
        catalog_url,
        api_token,
    };
    let bar = super::progress::spinner(&format!("importing {}", source.catalog_url));
    let outcome = dfc::run(node.context(), &source).await;
    bar.finish_and_clear();
    node.context().store.close().await;
    let report = outcome.map_err(|e| {
        format!(
            "import of {} failed, nothing changed: {e}",
            source.catalog_url
        )
    })?;
    println!(
        "imported {}: {} created, {} updated, {} deleted, {} unchanged",
        source.catalog_url, report.created, report.updated, report.deleted, report.unchanged
    );
    Ok(())
}
