//! The bench's nodes (started in this process on loopback ports, on SQLite
//! or on a PostgreSQL schema of their own), the ceilings measured in the
//! same run (per second of wall time and of CPU time), the process's CPU
//! time, and `target/bench/results.json`.

use std::time::{Duration, Instant};

use passerelle::config::{Admission, Rate, Settings};
use passerelle::node::{Node, NodeState};
use tokio::sync::oneshot;

/// The store a node under measurement runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Where the bench finds PostgreSQL (trust auth), as the tests do.
pub fn postgres_base_url() -> String {
    std::env::var("POSTGRES_TEST_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Whether PostgreSQL answers; the PostgreSQL figures are skipped with a
/// printed notice when it does not.
pub async fn postgres_available() -> bool {
    use sqlx::Connection;
    let connected = tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::PgConnection::connect(&postgres_base_url()),
    )
    .await;
    matches!(connected, Ok(Ok(_)))
}

/// A database of its own for one node: a SQLite file in `dir`, or a fresh
/// PostgreSQL schema.
pub async fn database_url(dir: &std::path::Path, slug: &str, backend: Backend) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}/{slug}.db", dir.display()),
        Backend::Postgres => {
            use sqlx::Connection;
            let base = postgres_base_url();
            let mut conn = sqlx::PgConnection::connect(&base)
                .await
                .expect("PostgreSQL");
            let schema = format!("bench_{}_{slug}_{}", std::process::id(), rand_suffix());
            sqlx::query(&format!("CREATE SCHEMA {schema}"))
                .execute(&mut conn)
                .await
                .expect("schema");
            let separator = if base.contains('?') { '&' } else { '?' };
            format!("{base}{separator}options=-c%20search_path%3D{schema}")
        }
    }
}

fn rand_suffix() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |t| t.subsec_nanos())
}

/// A node serving in this process.
pub struct Running {
    pub node_state: NodeState,
    pub handle: String,
    /// `http://localhost:PORT`
    pub base: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// The settings of a bench node: loopback peers allowed, follows accepted
/// at once, no rate limit (the load comes from one address), quiet logs.
pub fn settings(listen: std::net::SocketAddr, database_url: String, slug: &str) -> Settings {
    let mut settings = Settings {
        public_url: url::Url::parse(&format!("http://localhost:{}", listen.port())).expect("url"),
        listen,
        database_url,
        ..Settings::default()
    };
    settings.platform.slug = slug.to_owned();
    settings.federation.allow_private_addresses = true;
    settings.federation.admission = Admission::Open;
    settings.log.level = "error".to_owned();
    let unlimited = Rate {
        per_minute: 0,
        burst: 0,
    };
    settings.rate_limits.inbox_per_address = unlimited.clone();
    settings.rate_limits.inbox_per_actor = unlimited.clone();
    settings.rate_limits.reads_per_address = unlimited.clone();
    settings.rate_limits.reads_per_actor = unlimited.clone();
    settings.rate_limits.api_per_token = unlimited;
    settings
}

pub async fn start(dir: &std::path::Path, slug: &str, backend: Backend) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let listen = listener.local_addr().expect("addr");
    let database = database_url(dir, slug, backend).await;
    serve(listener, settings(listen, database, slug)).await
}

pub async fn serve(listener: tokio::net::TcpListener, settings: Settings) -> Running {
    let port = settings.listen.port();
    let slug = settings.platform.slug.clone();
    let node = Node::open(settings).await.expect("node");
    let node_state = node.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        node.serve(listener, async {
            let _ = stopped.await;
        })
        .await
        .expect("serve");
    });
    Running {
        node_state,
        handle: format!("@{slug}@localhost:{port}"),
        base: format!("http://localhost:{port}"),
        stop,
        task,
    }
}

/// User plus system CPU time this process has used so far, over all its
/// threads: the sender's node and its publisher, not a child process.
pub fn process_cpu() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage only writes the struct it is handed, which is
    // zeroed (a valid rusage) before and read only after it succeeded.
    let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    assert_eq!(status, 0, "getrusage");
    // SAFETY: zeroed, then filled by the kernel.
    let usage = unsafe { usage.assume_init() };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    time(usage.ru_utime) + time(usage.ru_stime)
}

/// User plus system CPU time the PostgreSQL server's processes on this
/// machine have used so far (those alive now: the backends the nodes'
/// pools hold open through a run). Zero where there is no such process.
pub fn postgres_server_cpu() -> Duration {
    // SAFETY: sysconf reads a constant of the system.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    let mut total = 0.0;
    for entry in entries.flatten() {
        let path = entry.path();
        let is_postgres =
            std::fs::read_to_string(path.join("comm")).is_ok_and(|comm| comm.trim() == "postgres");
        if !is_postgres {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
            continue;
        };
        // Fields after the command's closing parenthesis: utime and
        // stime are the 12th and 13th of them.
        let Some((_, after)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = after.split_whitespace().collect();
        let field = |n: usize| {
            fields
                .get(n)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        total += field(11) + field(12);
    }
    Duration::from_secs_f64(total / ticks)
}

/// CPU time the calling thread has used so far: what one operation costs
/// in CPU, however many other builds share the cores.
fn thread_cpu() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes the timespec it is handed.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut now) };
    assert_eq!(status, 0, "clock_gettime");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// How fast one core does an operation: per second of wall time, and per
/// second of the thread's CPU time.
#[derive(Clone, Copy)]
pub struct Speed {
    pub wall: f64,
    pub cpu: f64,
}

/// Operations per second of `operation` on one core, over `window`.
pub fn per_second(window: Duration, mut operation: impl FnMut(u32)) -> Speed {
    let started = Instant::now();
    let cpu_started = thread_cpu();
    let mut count = 0u32;
    while started.elapsed() < window {
        operation(count);
        count += 1;
    }
    let cpu = (thread_cpu() - cpu_started).as_secs_f64();
    Speed {
        wall: f64::from(count) / started.elapsed().as_secs_f64(),
        cpu: f64::from(count) / cpu.max(1e-9),
    }
}

/// What this machine can do, measured at the start of the run: the
/// ceilings the figures are divided by.
pub struct Ceilings {
    pub cores: usize,
    /// RSA-2048 signatures/s on one core with AWS-LC (the node's signer).
    pub rsa_aws_lc: Speed,
    /// The same with the `rsa` crate (what activitypub_federation uses).
    pub rsa_crate: f64,
    pub ed25519_sign: Speed,
    pub ed25519_verify: f64,
}

impl Ceilings {
    pub fn measure(keys: &passerelle::model::keys::NodeKeys, window: Duration) -> Ceilings {
        use rsa::signature::Signer as _;
        let message = |n: u32| format!("(request-target): post /inbox\nhost: x\ndate: {n}");
        let rsa_signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(keys.rsa_private.clone());
        let rsa_crate = per_second(window, |n| {
            let _ = rsa_signer.sign(message(n).as_bytes());
        });
        let rsa_aws_lc = per_second(window, |n| {
            let _ = keys.rsa_sign(message(n).as_bytes());
        });
        let ed25519_sign = per_second(window, |n| {
            let _ = ed25519_dalek::Signer::sign(&keys.ed25519, message(n).as_bytes());
        });
        let signed = ed25519_dalek::Signer::sign(&keys.ed25519, message(0).as_bytes());
        let verifying = keys.ed25519.verifying_key();
        let ed25519_verify = per_second(window, |_| {
            let _ = verifying.verify_strict(message(0).as_bytes(), &signed);
        });
        Ceilings {
            cores: std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
            rsa_aws_lc,
            rsa_crate: rsa_crate.wall,
            ed25519_sign,
            ed25519_verify: ed25519_verify.wall,
        }
    }

    pub fn rsa(&self) -> f64 {
        self.rsa_aws_lc.wall * self.cores as f64
    }

    pub fn ed25519_signing(&self) -> f64 {
        self.ed25519_sign.wall * self.cores as f64
    }

    pub fn ed25519_verifying(&self) -> f64 {
        self.ed25519_verify * self.cores as f64
    }
}

/// One figure of `target/bench/results.json`, next to its ceiling.
pub fn record(
    name: &str,
    value: f64,
    unit: &str,
    ceiling: f64,
    ceiling_name: &str,
) -> serde_json::Value {
    let round = |v: f64| {
        if v < 100.0 {
            (v * 100.0).round() / 100.0
        } else {
            v.round()
        }
    };
    println!("  {name}: {value:.2} {unit} (ceiling {ceiling:.2}, {ceiling_name})");
    serde_json::json!({
        "name": name,
        "value": round(value),
        "unit": unit,
        "ceiling": round(ceiling),
        "ceiling_name": ceiling_name,
        "ratio": (value / ceiling * 100.0).round() / 100.0,
    })
}

pub fn results_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(
        &std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()),
    )
    .join("bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    dir
}

pub fn write_results(records: &[serde_json::Value]) {
    let path = results_dir().join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(records).expect("json")).expect("write");
    println!("results: {}", path.display());
}

/// Polls `done` every few milliseconds until it holds or `limit` passes.
pub async fn until<F, Fut>(limit: Duration, mut done: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < limit {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}
