//! `passerelle move --to URL`: the last step of moving the node to a new
//! address (`docs/operating.md`, Moving a node). The new node runs from the
//! archive `passerelle export --moving-to URL` wrote; this checks it, records
//! the move and queues a `Move` for every peer, which a running node (this
//! one, at its old address) sends within a second.

use crate::domain::moving;
use crate::node::Node;
use passerelle_config::Settings;

pub async fn run(settings: Settings, to: String) -> Result<(), String> {
    let node = Node::open(settings)
        .await
        .map_err(|e| format!("cannot open the node: {e}"))?;
    let (target, told) =
        moving::move_to_public_url(node.context(), &to, &super::federation::operator())
            .await
            .map_err(|e| e.to_string())?;
    println!(
        "moved to {target}; {told} peer(s) will be sent a Move; this address now redirects there"
    );
    Ok(())
}
