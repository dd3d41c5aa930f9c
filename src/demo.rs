//! `passerelle demo`: a small federation on one machine. Three nodes (a
//! food hub, a delivery cooperative and a car-sharing cooperative), each on
//! its own loopback port and SQLite file, seeded with a charter of five
//! principles hosted by the food hub, commitments, members and offers, and
//! following each other — except one request left pending for the user to
//! approve in the console.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::domain::tokens::{self, Scope};
use crate::domain::{follows, publish};
use crate::error::{Error, Result};
use crate::model::FollowerState;
use crate::model::kinds::ObjectKind;
use crate::node::{Node, NodeState};
use passerelle_config::{Admission, Settings};

const DECIDED_BY: &str = "passerelle demo";
const CHARTER_ID: &str = "pec-charter";

struct Spec {
    slug: &'static str,
    name: &'static str,
    summary: &'static str,
    members: &'static [(&'static str, &'static str, &'static str, &'static str)],
    offers: &'static [(&'static str, &'static str, &'static str, &'static str)],
    pledge: [&'static str; 5],
}

/// (local id, type, name, role) for members; (local id, purpose, name,
/// summary) for offers.
const SPECS: [Spec; 3] = [
    Spec {
        slug: "foodhub",
        name: "Open Food Hub",
        summary: "A food hub linking local producers with shops and families.",
        members: &[
            ("coteau", "Organization", "Ferme du Coteau", "producer"),
            ("fournil", "Organization", "Le Fournil Partagé", "producer"),
        ],
        offers: &[
            (
                "apples",
                "offer",
                "Organic apples (Reinette)",
                "Picked this week at the Coteau orchard.",
            ),
            (
                "veg-box",
                "offer",
                "Seasonal vegetable box",
                "Ten kilos of vegetables from three farms, every Friday.",
            ),
            (
                "delivery-wanted",
                "request",
                "Cargo-bike delivery on Fridays",
                "We need our boxes carried to six pick-up points in town.",
            ),
        ],
        pledge: [
            "Producers and eaters elect the hub's board each year.",
            "Our catalogue data is published under an open licence.",
            "Producers set their own prices; the hub fee is public.",
            "We keep only the data needed to deliver orders.",
            "We share our delivery rounds with partner cooperatives.",
        ],
    },
    Spec {
        slug: "velocoop",
        name: "Vélocoop",
        summary: "A cargo-bike delivery cooperative owned by its couriers.",
        members: &[("camille", "Person", "Camille Martin", "worker")],
        offers: &[
            (
                "cargo-rounds",
                "offer",
                "Cargo-bike delivery rounds",
                "Same-day delivery up to 150 kg inside the ring road.",
            ),
            (
                "courier-wanted",
                "request",
                "Courier wanted (part time)",
                "Join the cooperative: shared ownership after six months.",
            ),
        ],
        pledge: [
            "Every courier is a member with one vote.",
            "Our routing software is free software.",
            "Delivery fees are split openly between couriers and the cooperative.",
            "Recipient addresses are deleted after delivery.",
            "Rounds are shared with the food hub and car-sharing partners.",
        ],
    },
    Spec {
        slug: "autopartage",
        name: "Autopartage Coop",
        summary: "A car-sharing cooperative with electric vans and cars.",
        members: &[("garage", "Organization", "Garage Solidaire", "partner")],
        offers: &[
            (
                "kangoo",
                "offer",
                "Electric van (Kangoo) by the hour",
                "Three electric vans for deliveries and moves.",
            ),
            (
                "minibus",
                "offer",
                "Nine-seat minibus for weekends",
                "For associations and school trips.",
            ),
        ],
        pledge: [
            "Users and staff sit together on the board.",
            "Our booking data is open to our partners.",
            "Prices cover costs; surpluses lower them.",
            "Trips are anonymised after 30 days.",
            "Vans are lent to partner cooperatives first.",
        ],
    },
];

const PRINCIPLES: [&str; 5] = [
    "governance",
    "commons",
    "fair-sharing",
    "ethics",
    "cooperation",
];

/// One running demo node.
pub struct DemoNode {
    pub slug: &'static str,
    pub name: &'static str,
    pub url: String,
    pub admin_token: String,
    state: NodeState,
}

impl DemoNode {
    pub fn handle(&self) -> String {
        format!("@{}@{}", self.slug, self.state.settings.public_host())
    }
}

pub struct Demo {
    pub dir: PathBuf,
    pub nodes: Vec<DemoNode>,
    stop: watch::Sender<bool>,
    servers: Vec<JoinHandle<Result<()>>>,
}

fn settings(dir: &Path, spec: &Spec, port: u16) -> Result<Settings> {
    let defaults = Settings::default();
    Ok(Settings {
        public_url: format!("http://localhost:{port}/")
            .parse()
            .map_err(|e| Error::Internal(format!("demo URL: {e}")))?,
        listen: ([127, 0, 0, 1], port).into(),
        database_url: format!(
            "sqlite://{}",
            dir.join(format!("{}.db", spec.slug)).display()
        ),
        platform: passerelle_config::PlatformSettings {
            slug: spec.slug.into(),
            name: spec.name.into(),
            summary: spec.summary.into(),
        },
        federation: passerelle_config::FederationSettings {
            allow_private_addresses: true,
            admission: Admission::Manual,
            ..defaults.federation
        },
        ..defaults
    })
}

/// Starts the three nodes on `base_port`, `base_port + 1` and `base_port +
/// 2`, with their databases in `dir`; seeds them the first time.
pub async fn start(dir: &Path, base_port: u16) -> Result<Demo> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::BadRequest(format!("cannot create {}: {e}", dir.display())))?;
    let (stop, stopped) = watch::channel(false);
    let mut nodes = Vec::new();
    let mut servers = Vec::new();
    for (n, spec) in SPECS.iter().enumerate() {
        let port = base_port
            .checked_add(u16::try_from(n).unwrap_or(u16::MAX))
            .ok_or_else(|| Error::BadRequest("--base-port is too high".into()))?;
        let settings = settings(dir, spec, port)?;
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .map_err(|e| Error::BadRequest(format!("cannot listen on {}: {e}", settings.listen)))?;
        let node = Node::open(settings).await?;
        let state = node.state().clone();
        // One token per run: the previous run's is revoked.
        let _ = tokens::revoke(&state.store, "demo").await;
        let admin_token = tokens::create(&state.store, "demo", Scope::Admin).await?;
        let mut stopped = stopped.clone();
        servers.push(tokio::spawn(node.serve(listener, async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        })));
        nodes.push(DemoNode {
            slug: spec.slug,
            name: spec.name,
            url: format!("http://localhost:{port}"),
            admin_token,
            state,
        });
    }
    let demo = Demo {
        dir: dir.to_owned(),
        nodes,
        stop,
        servers,
    };
    let seeded = demo.nodes[0]
        .state
        .store
        .object(ObjectKind::Charter, CHARTER_ID)
        .await?
        .is_some();
    if !seeded {
        demo.seed().await?;
    }
    Ok(demo)
}

impl Demo {
    pub fn node(&self, slug: &str) -> Option<&DemoNode> {
        self.nodes.iter().find(|n| n.slug == slug)
    }

    async fn seed(&self) -> Result<()> {
        let hub = &self.nodes[0];
        let charter: Value = serde_json::from_str(include_str!("../schemas/examples/charter.json"))
            .map_err(|e| Error::Internal(format!("demo charter: {e}")))?;
        publish::upsert(&hub.state, ObjectKind::Charter, CHARTER_ID, &charter).await?;
        let version = format!("{}/charters/{CHARTER_ID}/versions/1", hub.url);
        let offer_template: Value =
            serde_json::from_str(include_str!("../schemas/examples/offer.json"))
                .map_err(|e| Error::Internal(format!("demo offer: {e}")))?;
        for (node, spec) in self.nodes.iter().zip(&SPECS) {
            let statements: Vec<Value> = PRINCIPLES
                .iter()
                .zip(spec.pledge)
                .map(|(key, text)| json!({"principle": format!("{version}#{key}"), "statement": text}))
                .collect();
            let commitment = json!({"charter": version, "statements": statements});
            publish::upsert(&node.state, ObjectKind::Commitment, "pec", &commitment).await?;
            for (id, kind, name, role) in spec.members {
                let member = json!({"type": kind, "name": name, "role": role});
                publish::upsert(&node.state, ObjectKind::Member, id, &member).await?;
            }
            for (id, purpose, name, summary) in spec.offers {
                let mut offer = offer_template.clone();
                offer["name"] = json!(name);
                offer["summary"] = json!(summary);
                offer["purpose"] = json!(purpose);
                offer["url"] = json!(format!("{}/offers/{id}", node.url));
                publish::upsert(&node.state, ObjectKind::Offer, id, &offer).await?;
            }
        }
        let [hub, bikes, cars] = [&self.nodes[0], &self.nodes[1], &self.nodes[2]];
        for (from, to) in [
            (hub, bikes),
            (bikes, hub),
            (bikes, cars),
            (cars, bikes),
            (cars, hub),
        ] {
            self.follow(from, to, true).await?;
        }
        // Left for the user: the food hub asked to follow the car-sharing
        // cooperative; approving it delivers the cooperative's offers.
        self.follow(hub, cars, false).await
    }

    async fn follow(&self, from: &DemoNode, to: &DemoNode, approve: bool) -> Result<()> {
        follows::follow(&from.state, &to.handle(), DECIDED_BY).await?;
        let actor = from.state.settings.url_for("/actor");
        let deadline = Instant::now() + Duration::from_secs(30);
        let request = loop {
            if let Some(peer) = to.state.store.peer_by_uri(actor.as_str()).await? {
                if let Some(request) = to.state.store.follow_in_by_peer(peer.id).await? {
                    break request;
                }
            }
            if Instant::now() > deadline {
                return Err(Error::Internal(format!(
                    "{}'s follow request did not reach {}",
                    from.name, to.name
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        if approve && request.state == FollowerState::Pending {
            follows::approve(&to.state, request.id, DECIDED_BY).await?;
        }
        Ok(())
    }

    /// Stops the nodes, letting requests in flight finish.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for server in self.servers {
            let _ = server.await;
        }
    }
}
