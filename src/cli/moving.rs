//! `passerelle move --to URL`: the last step of moving the node to a new
//! address (`docs/operating.md`, Moving a node). The new node runs from the
//! archive `passerelle export --moving-to URL` wrote; this checks it, records
//! the move and queues a `Move` for every peer, which a running node (this
//! one, at its old address) sends within a second.

use url::Url;

use crate::apub::actor::actor_id;
use crate::domain::moving::{self, relocation};
use crate::node::Node;
use passerelle_config::Settings;

pub async fn run(settings: Settings, to: String) -> Result<(), String> {
    let to = Url::parse(&to).map_err(|e| format!("`{to}` is not a URL: {e}"))?;
    let target = actor_id(&relocation::at_new_address(&settings, &to).map_err(|e| e.to_string())?);
    let node = Node::open(settings)
        .await
        .map_err(|e| format!("cannot open the node: {e}"))?;
    let told = moving::move_to(node.context(), &target, &super::federation::operator())
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "moved to {target}; {told} peer(s) will be sent a Move; this address now redirects there"
    );
    Ok(())
}
