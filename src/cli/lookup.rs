//! `passerelle lookup URL|@name@host`: what a peer serves this node, fetched
//! with a request signed as this node, each integrity proof in it checked,
//! printed for a person (a summary, then the document).

use clap::Args;
use serde_json::Value;

use super::documents::{check, describe, embedded_items};
use crate::apub::fetch;
use crate::domain::follows;
use crate::node::Node;
use passerelle_config::Settings;

#[derive(Args)]
pub struct LookupArgs {
    /// An actor, object or collection URL, or a handle (@name@host)
    target: String,
    /// Allow fetching from loopback and private addresses (a local node);
    /// also on when federation.allow_private_addresses is set
    #[arg(long)]
    allow_private_addresses: bool,
}

pub async fn run(mut settings: Settings, args: LookupArgs) -> Result<(), String> {
    settings.federation.allow_private_addresses |= args.allow_private_addresses;
    let node = Node::open(settings)
        .await
        .map_err(|e| format!("cannot open the node: {e}"))?;
    let ctx = node.context();
    let url = follows::locate(ctx, &args.target)
        .await
        .map_err(|e| e.to_string())?;
    let document = fetch::fetch_signed(ctx, &url)
        .await
        .map_err(|e| e.to_string())?;
    println!("{url} (signed as {})", ctx.settings.public_url);
    println!("{}", describe(&document));
    let mut invalid = 0;
    let proof = check(&ctx.http, &document).await;
    invalid += usize::from(proof.starts_with("invalid"));
    println!("proof: {proof}");
    for (n, item) in embedded_items(&document).iter().enumerate() {
        let proof = check(&ctx.http, item).await;
        invalid += usize::from(proof.starts_with("invalid"));
        println!("item {}: {}, proof: {proof}", n + 1, describe(item));
    }
    if let Some(first) = document.get("first").and_then(Value::as_str) {
        println!("first page: {first}");
    }
    let pretty = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?;
    println!("\n{pretty}");
    match invalid {
        0 => Ok(()),
        n => Err(format!("{n} invalid proof(s) in {url}")),
    }
}
