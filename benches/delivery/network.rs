//! `network_100`: a hundred `passerelle serve` processes on this machine,
//! each on SQLite, all committed to one charter and admitting each other
//! through it (`federation.admission = "charter"`), every one following
//! every other; each publishes offers through its platform API, and the
//! figure is the time until every catalog holds every other node's offers.
//! Then one more node joins, and the time until its catalog is complete.

use std::time::{Duration, Instant};

use futures::StreamExt as _;
use passerelle::domain::{publish, tokens};
use passerelle::model::kinds::ObjectKind;
use passerelle::node::Node;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use crate::child::{free_ports, ready, spawn_serve, status_mib};
use crate::fanout::example_offer;
use crate::harness::{settings, until};

/// API calls the bench makes at once (follows, publications).
const CALLS_AT_ONCE: usize = 16;

/// What one run of the network measured.
pub struct Network {
    pub nodes: usize,
    pub offers_each: usize,
    /// Seconds from the first follow request to every follow active.
    pub follows_seconds: f64,
    /// Seconds from the first publication to every catalog complete.
    pub complete_seconds: f64,
    /// Seconds from the newcomer's start to its catalog complete.
    pub join_seconds: f64,
    /// Offers delivered: what each node published, to every other node.
    pub delivered: usize,
    /// Offers the newcomer's catalog took in: everything published.
    pub backfilled: usize,
    /// The sum of the processes' peak resident memory, in MiB.
    pub peak_mib_total: f64,
    pub peak_mib_largest: f64,
}

/// One node of the network: its process, its database (read by the bench
/// to see when the node is done) and its tokens.
struct Member {
    port: u16,
    admin_token: String,
    platform_token: String,
    database: SqlitePool,
    process: std::process::Child,
}

impl Member {
    fn base(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    fn actor(&self) -> String {
        format!("{}/actor", self.base())
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.database)
            .await
            .unwrap_or(0)
    }

    async fn offers_held(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM catalog WHERE kind = 'offer'")
            .await
    }

    async fn follows_active(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM follows_out WHERE state = 'active'")
            .await
    }
}

/// The settings every node shares, as a file: charter admission of the one
/// charter node 0 hosts. The per-address limits are off because every peer
/// here calls from 127.0.0.1, which on the Internet would be a hundred
/// addresses; the per-actor limits stay as shipped.
fn shared_settings(dir: &std::path::Path, charter_version: &str) -> std::path::PathBuf {
    let path = dir.join("network.toml");
    let text = format!(
        "[federation]\n\
         admission = \"charter\"\n\
         accepted_charters = [\"{charter_version}\"]\n\
         [log]\n\
         level = \"warn\"\n\
         [rate_limits]\n\
         inbox_per_address = {{ per_minute = 0, burst = 0 }}\n\
         reads_per_address = {{ per_minute = 0, burst = 0 }}\n"
    );
    std::fs::write(&path, text).expect("network.toml");
    path
}

/// The example commitment, naming node 0's charter.
fn commitment(charter_host: &str) -> serde_json::Value {
    let text = include_str!("../../schemas/examples/commitment.json")
        .replace("http://127.0.0.1:8080", charter_host);
    serde_json::from_str(&text).expect("commitment")
}

/// Prepares node `slug`'s database (keys, tokens, its commitment, and the
/// charter on the charter's host), then starts it as its own process.
async fn join(
    dir: &std::path::Path,
    config: &std::path::Path,
    slug: &str,
    port: u16,
    charter_host: &str,
) -> Result<Member, String> {
    let file = dir.join(format!("{slug}.db"));
    let url = format!("sqlite://{}", file.display());
    let listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let failed = |step: &str| {
        let step = format!("{slug}: {step}");
        move |e: &dyn std::fmt::Display| format!("{step}: {e}")
    };
    let node = Node::open(settings(listen, url.clone(), slug))
        .await
        .map_err(|e| failed("open")(&e))?;
    let state = node.state();
    if charter_host.ends_with(&format!(":{port}")) {
        let charter: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/examples/charter.json"))
                .map_err(|e| failed("charter")(&e))?;
        publish::upsert(state, ObjectKind::Charter, "pec-charter", &charter)
            .await
            .map_err(|e| failed("charter")(&e))?;
    }
    publish::upsert(
        state,
        ObjectKind::Commitment,
        "network-commitment",
        &commitment(charter_host),
    )
    .await
    .map_err(|e| failed("commitment")(&e))?;
    let admin_token = tokens::create(&state.store, "bench-admin", tokens::Scope::Admin)
        .await
        .map_err(|e| failed("token")(&e))?;
    let platform_token = tokens::create(&state.store, "bench-platform", tokens::Scope::Platform)
        .await
        .map_err(|e| failed("token")(&e))?;
    state.store.close().await;
    let process = spawn_serve(
        dir,
        port,
        Some(config),
        Some(&dir.join(format!("{slug}.log"))),
        &[("DATABASE_URL", &url), ("PLATFORM__SLUG", slug)],
    )
    .ok_or_else(|| format!("{slug}: the binary did not start"))?;
    let database = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(&file).read_only(true))
        .await
        .map_err(|e| failed("reading the database")(&e))?;
    Ok(Member {
        port,
        admin_token,
        platform_token,
        database,
        process,
    })
}

/// Sends `request` as a platform or an admin script would: again after a
/// 429, a 503 (an overloaded node keeps nothing of what it refused) or a
/// 502 or 504 (the peer it had to reach did not answer in time), at the
/// `Retry-After` it asks for, a few times; the final status.
async fn sent_until_taken(request: reqwest::RequestBuilder) -> Option<reqwest::StatusCode> {
    const ATTEMPTS: usize = 30;
    for _ in 1..ATTEMPTS {
        let answer = request.try_clone()?.send().await.ok()?;
        let status = answer.status();
        let again = [
            reqwest::StatusCode::TOO_MANY_REQUESTS,
            reqwest::StatusCode::BAD_GATEWAY,
            reqwest::StatusCode::SERVICE_UNAVAILABLE,
            reqwest::StatusCode::GATEWAY_TIMEOUT,
        ];
        if !again.contains(&status) {
            return Some(status);
        }
        let wait = answer
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok())
            .unwrap_or(1)
            .clamp(1, 10);
        tokio::time::sleep(Duration::from_secs(wait)).await;
    }
    Some(request.send().await.ok()?.status())
}

/// Sends every `(member, target)` follow through the members' admin API,
/// a few at once; the number answered 202 (the others are printed).
async fn follow_all(client: &reqwest::Client, pairs: Vec<(&Member, String)>) -> usize {
    let answers: Vec<Option<reqwest::StatusCode>> = futures::stream::iter(pairs)
        .map(|(member, target)| async move {
            let follow = client
                .post(format!("{}/api/v1/admin/follows", member.base()))
                .bearer_auth(&member.admin_token)
                .json(&serde_json::json!({ "target": target }));
            sent_until_taken(follow).await
        })
        .buffer_unordered(CALLS_AT_ONCE)
        .collect()
        .await;
    let taken = answers
        .iter()
        .filter(|status| **status == Some(reqwest::StatusCode::ACCEPTED))
        .count();
    if taken < answers.len() {
        let mut refused = std::collections::BTreeMap::<String, usize>::new();
        for status in answers
            .iter()
            .filter(|s| **s != Some(reqwest::StatusCode::ACCEPTED))
        {
            *refused
                .entry(status.map_or("no answer".to_owned(), |s| s.to_string()))
                .or_default() += 1;
        }
        println!("network: follow requests not taken: {refused:?}");
    }
    taken
}

/// Publishes `offers` offers on every member through its platform API;
/// the number each member's platform was told were published (those
/// refused to the end are printed).
async fn publish_all(client: &reqwest::Client, members: &[Member], offers: usize) -> Vec<usize> {
    let example = example_offer();
    let calls = members.iter().enumerate().flat_map(|(index, member)| {
        let example = example.clone();
        (0..offers).map(move |n| {
            let mut offer = example.clone();
            offer["name"] = serde_json::json!(format!("Offer {n} of node {index}"));
            (index, member, format!("n{index}-offer-{n}"), offer)
        })
    });
    let answers: Vec<(usize, Option<reqwest::StatusCode>)> = futures::stream::iter(calls)
        .map(|(index, member, id, offer)| async move {
            let publication = client
                .put(format!("{}/api/v1/offers/{id}", member.base()))
                .bearer_auth(&member.platform_token)
                .json(&offer);
            (index, sent_until_taken(publication).await)
        })
        .buffer_unordered(CALLS_AT_ONCE)
        .collect()
        .await;
    let mut published = vec![0; members.len()];
    let mut refused = std::collections::BTreeMap::<String, usize>::new();
    for (index, status) in answers {
        match status {
            Some(status) if status.is_success() => published[index] += 1,
            other => {
                *refused
                    .entry(other.map_or("no answer".to_owned(), |s| s.to_string()))
                    .or_default() += 1;
            }
        }
    }
    if !refused.is_empty() {
        println!("network: publications refused to the end: {refused:?}");
    }
    published
}

/// Offers in `member`'s catalog as its platform reads them, page by page.
async fn catalog_through_api(client: &reqwest::Client, member: &Member) -> usize {
    let mut held = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "100".to_owned())];
        query.extend(cursor.take().map(|next| ("cursor", next)));
        let page: serde_json::Value = match client
            .get(format!("{}/api/v1/catalog/offers", member.base()))
            .query(&query)
            .bearer_auth(&member.platform_token)
            .send()
            .await
        {
            Ok(answer) => answer.json().await.unwrap_or_default(),
            Err(_) => return held,
        };
        held += page["items"].as_array().map_or(0, Vec::len);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return held,
        }
    }
}

/// Waits until the members' counts add up to `expected`; false after `limit`.
async fn until_total<'a, F, Fut>(
    members: &'a [Member],
    expected: i64,
    limit: Duration,
    count: F,
) -> bool
where
    F: Fn(&'a Member) -> Fut,
    Fut: std::future::Future<Output = i64>,
{
    let started = Instant::now();
    while started.elapsed() < limit {
        let mut total = 0;
        for member in members {
            total += count(member).await;
        }
        if total >= expected {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

/// Runs the network of `nodes` nodes publishing `offers_each` offers each,
/// then one newcomer; `None` (with the reason printed) when a stage did not
/// finish within its time limit.
pub async fn run(dir: &std::path::Path, nodes: usize, offers_each: usize) -> Option<Network> {
    let dir = dir.join("network");
    std::fs::create_dir_all(&dir).ok()?;
    let ports = free_ports(nodes + 1)?;
    let charter_host = format!("http://localhost:{}", ports[0]);
    let config = shared_settings(
        &dir,
        &format!("{charter_host}/charters/pec-charter/versions/1"),
    );
    let mut members = Vec::with_capacity(nodes);
    for (index, port) in ports[..nodes].iter().enumerate() {
        match join(&dir, &config, &format!("n{index}"), *port, &charter_host).await {
            Ok(member) => members.push(member),
            Err(why) => {
                println!("network: {why}");
                break;
            }
        }
    }
    let outcome = if members.len() < nodes {
        None
    } else {
        measure(
            &dir,
            &config,
            &charter_host,
            ports[nodes],
            &mut members,
            offers_each,
        )
        .await
    };
    let peaks: Vec<f64> = members
        .iter()
        .filter_map(|member| status_mib(member.process.id(), "VmHWM:"))
        .collect();
    for member in &mut members {
        let _ = member.process.kill();
        let _ = member.process.wait();
    }
    let stages = outcome?;
    Some(Network {
        nodes,
        offers_each,
        follows_seconds: stages.follows_seconds,
        complete_seconds: stages.complete_seconds,
        join_seconds: stages.join_seconds,
        delivered: stages.delivered,
        backfilled: stages.backfilled,
        peak_mib_total: peaks.iter().sum(),
        peak_mib_largest: peaks.iter().copied().fold(0.0, f64::max),
    })
}

/// The stages' durations in seconds, and what the last two moved.
struct Stages {
    follows_seconds: f64,
    complete_seconds: f64,
    join_seconds: f64,
    delivered: usize,
    backfilled: usize,
}

/// The three stages, on members already started: everyone follows
/// everyone, everyone publishes, a newcomer joins (and is pushed onto
/// `members`).
async fn measure(
    dir: &std::path::Path,
    config: &std::path::Path,
    charter_host: &str,
    newcomer_port: u16,
    members: &mut Vec<Member>,
    offers_each: usize,
) -> Option<Stages> {
    let nodes = members.len();
    for member in members.iter_mut() {
        let exited = member.process.try_wait().ok().flatten();
        if exited.is_some() || !ready(member.port, Duration::from_secs(120)).await {
            println!(
                "network: the node on port {} did not start (its log is beside its database)",
                member.port
            );
            return None;
        }
    }
    let client = reqwest::Client::new();
    let started = Instant::now();
    let pairs = members
        .iter()
        .flat_map(|member| {
            members
                .iter()
                .filter(move |other| other.port != member.port)
                .map(move |other| (member, other.actor()))
        })
        .collect();
    let requested = follow_all(&client, pairs).await;
    let follows = nodes * (nodes - 1);
    let all_active = until_total(members, follows as i64, Duration::from_secs(900), |m| {
        m.follows_active()
    })
    .await;
    let follows_seconds = started.elapsed().as_secs_f64();
    println!(
        "network: {nodes} nodes, {requested} of {follows} follow requests taken, all active: {all_active} after {follows_seconds:.1} s"
    );
    if !all_active {
        return None;
    }

    let started = Instant::now();
    let published = publish_all(&client, members, offers_each).await;
    let total: usize = published.iter().sum();
    // Every node holds what the others published.
    let held: usize = published.iter().map(|own| total - own).sum();
    let complete = until_total(members, held as i64, Duration::from_secs(1_800), |m| {
        m.offers_held()
    })
    .await;
    let complete_seconds = started.elapsed().as_secs_f64();
    let through_api = catalog_through_api(&client, &members[nodes - 1]).await;
    println!(
        "network: {total} offers published, every catalog complete: {complete} after {complete_seconds:.1} s \
         ({held} offers held; the last node's catalog API lists {through_api})"
    );
    let last = &published[nodes - 1];
    if !complete || through_api != total - last {
        return None;
    }

    let started = Instant::now();
    let newcomer = match join(dir, config, "newcomer", newcomer_port, charter_host).await {
        Ok(newcomer) => newcomer,
        Err(why) => {
            println!("network: {why}");
            return None;
        }
    };
    if !ready(newcomer.port, Duration::from_secs(120)).await {
        println!("network: the newcomer did not start");
        return None;
    }
    let pairs = members
        .iter()
        .flat_map(|member| [(member, newcomer.actor()), (&newcomer, member.actor())])
        .collect();
    follow_all(&client, pairs).await;
    let whole = total as i64;
    let caught_up = until(Duration::from_secs(900), || async {
        newcomer.offers_held().await >= whole
    })
    .await;
    let join_seconds = started.elapsed().as_secs_f64();
    println!(
        "network: the newcomer's catalog complete ({whole} offers): {caught_up} after {join_seconds:.1} s"
    );
    members.push(newcomer);
    caught_up.then_some(Stages {
        follows_seconds,
        complete_seconds,
        join_seconds,
        delivered: held,
        backfilled: total,
    })
}
