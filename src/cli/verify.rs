//! `passerelle verify FILE|URL`: checks an object's FEP-8b32 proof against
//! the key its signer publishes.

use clap::Args;
use serde_json::Value;
use url::Url;

use crate::apub::fetch;
use crate::apub::verification::verify_document;
use passerelle_config::Settings;

#[derive(Args)]
pub struct VerifyArgs {
    /// A JSON file, `-` for standard input, or an http(s) URL to fetch
    source: String,
    /// Allow fetching from loopback and private addresses (a local node);
    /// also on when federation.allow_private_addresses is set
    #[arg(long)]
    allow_private_addresses: bool,
}

pub async fn run(settings: Settings, args: VerifyArgs) -> Result<(), String> {
    let allow_private = args.allow_private_addresses || settings.federation.allow_private_addresses;
    let client = passerelle_outbound::client(allow_private).map_err(|e| e.to_string())?;
    let document: Value = match Url::parse(&args.source) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => fetch::fetch_document(&client, &url)
            .await
            .map_err(|e| e.to_string())?,
        _ => {
            let text = if args.source == "-" {
                std::io::read_to_string(std::io::stdin())
                    .map_err(|e| format!("cannot read standard input: {e}"))?
            } else {
                std::fs::read_to_string(&args.source)
                    .map_err(|e| format!("cannot read {}: {e}", args.source))?
            };
            serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", args.source))?
        }
    };
    match verify_document(&client, &document).await {
        Ok(method) => {
            println!("valid: signed by {method}");
            Ok(())
        }
        Err(e) => Err(format!("invalid: {e}")),
    }
}
