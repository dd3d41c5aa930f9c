//! `passerelle demo`: runs the three-node demo federation until Ctrl-C and
//! tells the user what to do in the console.

use std::path::PathBuf;

use clap::Args;

use crate::demo;
use crate::node::shutdown_signal;

#[derive(Args)]
pub struct DemoArgs {
    /// Keep the nodes' databases in this directory (reused on the next run)
    /// [default: a temporary directory removed on exit]
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The first node's port; the others use the next two
    #[arg(long, default_value_t = 8081)]
    base_port: u16,
}

pub async fn run(args: DemoArgs) -> Result<(), String> {
    let temporary = args.dir.is_none();
    let dir = args.dir.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("passerelle-demo-{}", std::process::id()))
    });
    println!("Starting three nodes (data in {})…", dir.display());
    let demo = demo::start(&dir, args.base_port)
        .await
        .map_err(|e| match e {
            crate::Error::Unprocessable(violations) => format!("demo: {violations:?}"),
            other => format!("demo: {other}"),
        })?;
    println!();
    for node in &demo.nodes {
        println!("{} — {}", node.name, node.handle());
        println!("  console:     {}/admin", node.url);
        println!("  admin token: {}", node.admin_token);
    }
    if let (Some(hub), Some(cars)) = (demo.node("foodhub"), demo.node("autopartage")) {
        println!();
        println!(
            "One follow request is waiting: {} asked to follow {}.",
            hub.name, cars.name
        );
        println!(
            "  1. Open {}/admin, sign in with its admin token, and approve it under \"Follow requests\".",
            cars.url
        );
        println!(
            "  2. Open {}/admin/catalog (sign in with its token): {}'s offers are there.",
            hub.url, cars.name
        );
    }
    println!();
    println!("Ctrl-C stops the demo.");
    shutdown_signal().await;
    println!("Stopping…");
    demo.stop().await;
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}
