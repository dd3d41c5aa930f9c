//! Prometheus metrics. Each node owns its registry (not a process-global
//! one) so that several nodes in one process — tests, `passerelle demo` —
//! each report their own figures.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use passerelle_model::error::{Error, Result};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: IntCounterVec,
    pub http_duration: HistogramVec,
    /// Activities received in the inbox, by type and outcome.
    pub inbox_activities: IntCounterVec,
    /// Activities written per inbox transaction (group commit).
    pub inbox_batch_size: Histogram,
    /// Signed requests verified, by signature scheme (`cavage`,
    /// `rfc9421-rsa`, `rfc9421-ed25519`).
    pub verified_signatures: IntCounterVec,
    /// Objects refused from the catalog, by reason.
    pub catalog_refused: IntCounterVec,
    /// Delivery attempts to peers and webhooks, by target and outcome.
    pub deliveries: IntCounterVec,
    /// Time from an activity being recorded to its delivery.
    pub delivery_latency: HistogramVec,
    /// Activities waiting for delivery, summed over peers (set at scrape).
    pub delivery_queue_depth: IntGauge,
    /// Requests that may be in flight to each peer now, by peer actor
    /// (set by the delivery pass as its window grows and shrinks).
    pub delivery_window: IntGaugeVec,
    /// Webhook events waiting for delivery (set at scrape).
    pub webhook_queue_depth: IntGauge,
    /// Peers failing for longer than `delivery.dead_after` (set at scrape).
    pub peers_unreachable: IntGauge,
    /// Webhooks disabled after failing that long (set at scrape).
    pub webhooks_disabled: IntGauge,
    /// 1 when `/readyz` would answer 200, else 0 (set at scrape).
    pub ready: IntGauge,
    /// Withdrawals (a `Delete` delivered) no receipt acknowledged within
    /// `federation.removal_deadline`, over all peers (set at scrape).
    pub withdrawals_overdue: IntGauge,
    /// DFC import runs, by outcome (`ok`, `unreachable`, `unauthorized`,
    /// `status`, `malformed`, `error`).
    pub dfc_runs: IntCounterVec,
    /// Offers created, updated and deleted by DFC imports.
    pub dfc_changes: IntCounterVec,
    /// Amendment votes received by the host, by outcome (`counted`,
    /// `repeated`, `refused`, `late`): every attempt, though a refused
    /// sender is kept once.
    pub amendment_votes: IntCounterVec,
    /// Periodic tasks this process ran (once across replicas), by task.
    pub periodic_runs: IntCounterVec,
    /// Agreement activities refused before anything was stored, by reason
    /// (`stranger`, `malformed`, `rewritten`): counted here, not in rows.
    pub agreements_refused: IntCounterVec,
    /// FEP-8fcf `Collection-Synchronization` headers received, by outcome
    /// (`in_sync`, `ignored`, `mismatch`, `undone`, `ended`, `failed`).
    pub followers_sync: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Metrics> {
        let registry =
            Registry::new_custom(Some("passerelle".to_owned()), None).map_err(metrics_error)?;
        let http_requests = counter(
            &registry,
            "http_requests_total",
            "HTTP requests answered, by route, method and status",
            &["route", "method", "status"],
        )?;
        let http_duration = histogram(
            &registry,
            "http_request_duration_seconds",
            "Time from request received to response headers, by route and method",
            vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ],
            &["route", "method"],
        )?;
        let (inbox_activities, inbox_batch_size) = inbox_metrics(&registry)?;
        let verified_signatures = counter(
            &registry,
            "verified_signatures_total",
            "Signed requests verified, by signature scheme",
            &["scheme"],
        )?;
        let catalog_refused = counter(
            &registry,
            "catalog_refused_total",
            "Received objects refused, by reason",
            &["reason"],
        )?;
        let deliveries = counter(
            &registry,
            "deliveries_total",
            "Delivery attempts, by target (peer, webhook) and outcome",
            &["target", "outcome"],
        )?;
        let delivery_latency = histogram(
            &registry,
            "delivery_latency_seconds",
            "Time from an activity being recorded to its delivery to a peer",
            vec![
                0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0, 60.0, 300.0, 3600.0, 86400.0,
            ],
            &["target"],
        )?;
        let (delivery_queue_depth, webhook_queue_depth) = queue_gauges(&registry)?;
        let (dfc_runs, dfc_changes) = dfc_counters(&registry)?;
        let (peers_unreachable, webhooks_disabled, ready) = health_gauges(&registry)?;
        Ok(Metrics {
            peers_unreachable,
            webhooks_disabled,
            ready,
            withdrawals_overdue: gauge(
                &registry,
                "withdrawals_overdue",
                "Withdrawals whose removal no peer receipt acknowledged within federation.removal_deadline",
            )?,
            delivery_window: delivery_window(&registry)?,
            amendment_votes: amendment_votes(&registry)?,
            periodic_runs: periodic_runs(&registry)?,
            agreements_refused: agreements_refused(&registry)?,
            followers_sync: followers_sync(&registry)?,
            registry,
            dfc_runs,
            dfc_changes,
            http_requests,
            http_duration,
            inbox_activities,
            inbox_batch_size,
            verified_signatures,
            catalog_refused,
            deliveries,
            delivery_latency,
            delivery_queue_depth,
            webhook_queue_depth,
        })
    }

    /// Records a request. The method joins a closed set (anything else is
    /// `other`): clients must not be able to mint series.
    pub fn observe_http(&self, route: &str, method: &http::Method, status: u16, seconds: f64) {
        let method = method_label(method);
        self.http_requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.http_duration
            .with_label_values(&[route, method])
            .observe(seconds);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> Result<String> {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .map_err(metrics_error)?;
        String::from_utf8(buffer).map_err(|e| Error::Internal(e.to_string()))
    }
}

/// HTTP methods reported by name; the rest are `other`.
fn method_label(method: &http::Method) -> &'static str {
    use http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Activity types reported by name in `inbox_activities_total`; the rest
/// are `other`.
pub fn activity_type_label(kind: &str) -> &'static str {
    const KNOWN: [&str; 11] = [
        "Follow", "Undo", "Accept", "Reject", "Create", "Update", "Delete", "Announce", "Like",
        "Offer", "Read",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == kind)
        .unwrap_or("other")
}

// Shaped for `map_err`, which hands the error over by value.
#[allow(clippy::needless_pass_by_value)]
fn metrics_error(e: prometheus::Error) -> Error {
    Error::Internal(format!("metrics: {e}"))
}

/// What waits for delivery: activities (summed over peers), webhook events.
/// Activities received, by type and outcome; activities written per inbox
/// transaction (group commit), up to the writer's 64.
fn inbox_metrics(registry: &Registry) -> Result<(IntCounterVec, Histogram)> {
    let activities = counter(
        registry,
        "inbox_activities_total",
        "Activities received, by type and outcome",
        &["type", "outcome"],
    )?;
    let histogram = plain_histogram(
        registry,
        "inbox_batch_size",
        "Activities written per inbox transaction (group commit)",
        vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0],
    )?;
    Ok((activities, histogram))
}

/// A histogram without labels, registered in `registry`.
fn plain_histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    buckets: Vec<f64>,
) -> Result<Histogram> {
    let histogram = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))
        .map_err(metrics_error)?;
    registry
        .register(Box::new(histogram.clone()))
        .map_err(metrics_error)?;
    Ok(histogram)
}

fn queue_gauges(registry: &Registry) -> Result<(IntGauge, IntGauge)> {
    Ok((
        gauge(
            registry,
            "delivery_queue_depth",
            "Activities waiting for delivery, summed over peers",
        )?,
        gauge(
            registry,
            "webhook_queue_depth",
            "Webhook events waiting for delivery",
        )?,
    ))
}

/// Requests that may be in flight to each peer now, by peer actor.
fn delivery_window(registry: &Registry) -> Result<IntGaugeVec> {
    labelled_gauge(
        registry,
        "delivery_window",
        "Requests that may be in flight to a peer now (its window: halved on 429, 5xx or Retry-After, grown by one per acknowledged window up to delivery.in_flight)",
        &["peer"],
    )
}

/// Periodic tasks this process ran, by task.
fn periodic_runs(registry: &Registry) -> Result<IntCounterVec> {
    counter(
        registry,
        "periodic_runs_total",
        "Periodic tasks this process ran (each runs once across replicas), by task",
        &["task"],
    )
}

/// Agreement activities refused before storing anything, by reason.
fn agreements_refused(registry: &Registry) -> Result<IntCounterVec> {
    counter(
        registry,
        "agreements_refused_total",
        "Agreement activities refused before anything was stored, by reason (stranger, malformed, rewritten)",
        &["reason"],
    )
}

/// Followers synchronisation headers received, by outcome.
fn followers_sync(registry: &Registry) -> Result<IntCounterVec> {
    counter(
        registry,
        "followers_sync_total",
        "Collection-Synchronization headers received, by outcome (in_sync, ignored, mismatch, undone, ended, failed)",
        &["outcome"],
    )
}

/// Amendment votes received by the host, by outcome.
fn amendment_votes(registry: &Registry) -> Result<IntCounterVec> {
    counter(
        registry,
        "amendment_votes_total",
        "Amendment votes received, by outcome (counted, repeated, refused, late)",
        &["outcome"],
    )
}

/// The DFC import runs by outcome and the offers they changed.
fn dfc_counters(registry: &Registry) -> Result<(IntCounterVec, IntCounterVec)> {
    Ok((
        counter(
            registry,
            "dfc_import_runs_total",
            "DFC catalog import runs, by outcome",
            &["outcome"],
        )?,
        counter(
            registry,
            "dfc_offers_changed_total",
            "Offers created, updated or deleted by DFC imports",
            &["change"],
        )?,
    ))
}

/// The federation health gauges: unreachable peers, disabled webhooks,
/// readiness.
fn health_gauges(registry: &Registry) -> Result<(IntGauge, IntGauge, IntGauge)> {
    Ok((
        gauge(
            registry,
            "peers_unreachable",
            "Peers failing for longer than delivery.dead_after (only probed)",
        )?,
        gauge(
            registry,
            "webhooks_disabled",
            "Webhooks disabled after failing for longer than delivery.dead_after",
        )?,
        gauge(
            registry,
            "ready",
            "1 when the node is ready (database answers, migrated), else 0",
        )?,
    ))
}

/// A counter with `labels`, registered in `registry`.
fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> Result<IntCounterVec> {
    let counter = IntCounterVec::new(Opts::new(name, help), labels).map_err(metrics_error)?;
    registry
        .register(Box::new(counter.clone()))
        .map_err(metrics_error)?;
    Ok(counter)
}

/// A histogram with `labels` over `buckets`, registered in `registry`.
fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    buckets: Vec<f64>,
    labels: &[&str],
) -> Result<HistogramVec> {
    let histogram = HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels)
        .map_err(metrics_error)?;
    registry
        .register(Box::new(histogram.clone()))
        .map_err(metrics_error)?;
    Ok(histogram)
}

/// A gauge with `labels`, registered in `registry`.
fn labelled_gauge(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> Result<IntGaugeVec> {
    let gauge = IntGaugeVec::new(Opts::new(name, help), labels).map_err(metrics_error)?;
    registry
        .register(Box::new(gauge.clone()))
        .map_err(metrics_error)?;
    Ok(gauge)
}

/// A gauge, registered in `registry`.
fn gauge(registry: &Registry, name: &str, help: &str) -> Result<IntGauge> {
    let gauge = IntGauge::new(name, help).map_err(metrics_error)?;
    registry
        .register(Box::new(gauge.clone()))
        .map_err(metrics_error)?;
    Ok(gauge)
}
