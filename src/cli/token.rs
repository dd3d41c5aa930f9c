//! `passerelle token create|list|revoke`.

use clap::{Subcommand, ValueEnum};

use crate::domain::tokens::{self, Scope};
use crate::model::time::format_millis;
use passerelle_config::Settings;

#[derive(Clone, Copy, ValueEnum)]
pub enum ScopeArg {
    /// Push offers, members, charters and commitments; read the catalog
    Platform,
    /// Follows, approvals, exclusions
    Admin,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it, alone, on stdout (it is shown only once)
    Create {
        /// A name to recognise the token by, e.g. the platform's name
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        scope: ScopeArg,
    },
    /// List tokens (names, scopes, use; never the secrets)
    List,
    /// Revoke the active token with this name
    Revoke { name: String },
}

pub async fn run(settings: Settings, command: TokenCommand) -> Result<(), String> {
    let store = super::open_store(&settings).await?;
    let outcome = match command {
        TokenCommand::Create { name, scope } => {
            let scope = match scope {
                ScopeArg::Platform => Scope::Platform,
                ScopeArg::Admin => Scope::Admin,
            };
            tokens::create_recorded(&store, &name, scope, &super::federation::operator())
                .await
                .map(|secret| println!("{secret}"))
        }
        TokenCommand::List => tokens::list(&store).await.map(|rows| {
            println!(
                "{:<24} {:<9} {:<21} {:<21} STATUS",
                "NAME", "SCOPE", "CREATED", "LAST USED"
            );
            for row in rows {
                let status = match row.revoked_at {
                    Some(at) => format!("revoked {}", format_millis(at)),
                    None => "active".to_owned(),
                };
                println!(
                    "{:<24} {:<9} {:<21} {:<21} {status}",
                    row.name,
                    row.scope,
                    format_millis(row.created_at),
                    row.last_used_at
                        .map(format_millis)
                        .unwrap_or_else(|| "never".to_owned()),
                );
            }
        }),
        TokenCommand::Revoke { name } => {
            tokens::revoke_recorded(&store, Err(&name), &super::federation::operator())
                .await
                .map(|_| eprintln!("revoked token `{name}`"))
        }
    };
    store.close().await;
    outcome.map_err(|e| e.to_string())
}
