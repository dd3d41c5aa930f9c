//! The dashboard's picture of the federation, drawn on the server as SVG
//! (no script): this node, its peers, an arrow each way for what flows,
//! with the kinds, since when and each peer's health in colour and in
//! words; and a sparkline a peer of its last 24 hours of deliveries.

use std::fmt::Write;

use serde::Serialize;

use crate::console::i18n::Lang;
use crate::domain::glance::{Flow, GlancePeer, HourCount};
use crate::model::PeerHealth;

const WIDTH: i32 = 760;
const ROW: i32 = 96;
const TOP: i32 = 16;
const NODE_W: i32 = 170;
const PEER_X: i32 = 560;
const PEER_W: i32 = 190;

/// Text for XML: `&`, `<`, `>` and quotes escaped.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A health state's colour (the text label says it too).
fn colour(health: Option<PeerHealth>) -> &'static str {
    match health {
        Some(PeerHealth::Healthy) => "#1b5e20",
        Some(PeerHealth::Failing) => "#8a4b00",
        Some(_) => "#b71c1c",
        None => "#555555",
    }
}

fn health_text(lang: Lang, health: Option<PeerHealth>) -> String {
    match health {
        Some(state) => lang.text(&format!("health_{state}")),
        None => lang.text("health_none"),
    }
}

/// "Offers, Members since 2026-12-03", or what an empty flow is called.
fn flow_text(lang: Lang, flow: &Flow) -> String {
    let kinds: Vec<String> = flow
        .kinds
        .iter()
        .map(|k| lang.text(&format!("kind_{}", k.as_str())))
        .collect();
    let kinds = if kinds.is_empty() {
        lang.text("glance_nothing")
    } else {
        kinds.join(", ")
    };
    let day = flow.since.get(..10).unwrap_or(&flow.since);
    format!("{kinds} · {} {day}", lang.text("glance_since"))
}

/// The sentence naming a peer, its health and both flows (the picture's
/// description, one a peer).
fn describe(lang: Lang, p: &GlancePeer) -> String {
    let way = |key: &str, flow: &Option<Flow>| match flow {
        Some(flow) => format!("{}: {}", lang.text(key), flow_text(lang, flow)),
        None => format!("{}: {}", lang.text(key), lang.text("glance_nothing")),
    };
    format!(
        "{} ({}), {}. {}. {}.",
        p.peer.name,
        p.peer.handle,
        health_text(lang, p.health),
        way("glance_we_send", &p.outbound),
        way("glance_they_send", &p.inbound),
    )
}

/// The picture: `role="img"`, a title and a description naming every
/// peer, its health and every kind that flows.
pub fn federation_svg(lang: Lang, node: &str, peers: &[GlancePeer]) -> String {
    let rows = i32::try_from(peers.len())
        .unwrap_or(i32::MAX / ROW - 1)
        .max(1);
    let height = TOP * 2 + rows * ROW;
    let mut svg = String::new();
    let description: Vec<String> = peers.iter().map(|p| describe(lang, p)).collect();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="glance" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" aria-labelledby="glance-svg-title glance-svg-desc"><title id="glance-svg-title">{}</title><desc id="glance-svg-desc">{}</desc><defs><marker id="glance-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>"##,
        esc(&lang.text("glance_title").replace("{node}", node)),
        esc(&if description.is_empty() {
            lang.text("glance_no_peers")
        } else {
            description.join(" ")
        }),
    );
    let _ = write!(
        svg,
        r##"<rect x="4" y="{TOP}" width="{NODE_W}" height="{}" rx="10" fill="#e8eef7" stroke="#1a3d6d" stroke-width="2"/><text x="{}" y="{}" text-anchor="middle" font-weight="bold" font-size="15" fill="#1a3d6d">{}</text>"##,
        rows * ROW,
        4 + NODE_W / 2,
        TOP + rows * ROW / 2,
        esc(node),
    );
    for (i, p) in peers.iter().enumerate() {
        let y = TOP + i32::try_from(i).unwrap_or(0) * ROW;
        draw_peer(&mut svg, lang, p, y);
    }
    svg.push_str("</svg>");
    svg
}

fn draw_peer(svg: &mut String, lang: Lang, p: &GlancePeer, y: i32) {
    let health = health_text(lang, p.health);
    let c = colour(p.health);
    let _ = write!(
        svg,
        r##"<g class="glance-peer" data-peer="{}"><rect x="{PEER_X}" y="{}" width="{PEER_W}" height="{}" rx="8" fill="#ffffff" stroke="{c}" stroke-width="3"/><text x="{}" y="{}" text-anchor="middle" font-size="14" font-weight="bold" fill="#111">{}</text><text x="{}" y="{}" text-anchor="middle" font-size="13" fill="{c}">● {}</text>"##,
        p.peer.id,
        y + 8,
        ROW - 16,
        PEER_X + PEER_W / 2,
        y + 38,
        esc(&p.peer.name),
        PEER_X + PEER_W / 2,
        y + 62,
        esc(&health),
    );
    let from = 4 + NODE_W + 6;
    let to = PEER_X - 6;
    let label = |flow: &Option<Flow>| match flow {
        Some(flow) => flow_text(lang, flow),
        None => lang.text("glance_nothing"),
    };
    // What we send: left to right, above; what it sends us: below.
    for (flow, line_y, text_y, key, reverse) in [
        (&p.outbound, y + 34, y + 28, "glance_we_send", false),
        (&p.inbound, y + 66, y + 84, "glance_they_send", true),
    ] {
        let dash = if flow.is_some() {
            ""
        } else {
            r#" stroke-dasharray="4 4""#
        };
        let (x1, x2) = if reverse { (to, from) } else { (from, to) };
        let text = format!("{}: {}", lang.text(key), label(flow));
        // A label longer than the gap is squeezed to fit between the boxes.
        let room = to - from - 8;
        let wide = i32::try_from(text.chars().count()).unwrap_or(i32::MAX / 2) * 13 / 2;
        let fit = if wide > room {
            format!(r#" textLength="{room}" lengthAdjust="spacingAndGlyphs""#)
        } else {
            String::new()
        };
        let _ = write!(
            svg,
            r##"<line x1="{x1}" y1="{line_y}" x2="{x2}" y2="{line_y}" stroke="#333" stroke-width="2"{dash} marker-end="url(#glance-arrow)"/><text x="{}" y="{text_y}" text-anchor="middle" font-size="12" fill="#222"{fit}>{}</text>"##,
            (from + to) / 2,
            esc(&text),
        );
    }
    svg.push_str("</g>");
}

/// A peer's last 24 hours as a small SVG: deliveries as a green line,
/// failures as red bars, with the totals as its accessible name.
pub fn sparkline(lang: Lang, p: &GlancePeer) -> String {
    const W: i64 = 144;
    const H: i64 = 28;
    let delivered: i64 = p.hours.iter().map(|h| h.delivered).sum();
    let failed: i64 = p.hours.iter().map(|h| h.failed).sum();
    let top = p
        .hours
        .iter()
        .map(|h: &HourCount| h.delivered.max(h.failed))
        .max()
        .unwrap_or(0)
        .max(1);
    let step = W / crate::model::count(p.hours.len()).max(1);
    let y = |n: i64| H - 2 - n * (H - 4) / top;
    let points: Vec<String> = p
        .hours
        .iter()
        .enumerate()
        .map(|(i, h)| {
            format!(
                "{},{}",
                crate::model::count(i) * step + step / 2,
                y(h.delivered)
            )
        })
        .collect();
    let label = lang
        .text("sparkline_label")
        .replace("{peer}", &p.peer.name)
        .replace("{delivered}", &delivered.to_string())
        .replace("{failed}", &failed.to_string());
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" role="img" width="{W}" height="{H}" viewBox="0 0 {W} {H}"><title>{}</title><line x1="0" y1="{}" x2="{W}" y2="{}" stroke="#ccc"/>"##,
        esc(&label),
        H - 2,
        H - 2,
    );
    for (i, h) in p.hours.iter().enumerate().filter(|(_, h)| h.failed > 0) {
        let top_y = y(h.failed);
        let _ = write!(
            svg,
            r##"<rect x="{}" y="{top_y}" width="{}" height="{}" fill="#b71c1c"/>"##,
            crate::model::count(i) * step + 1,
            (step - 2).max(1),
            H - 2 - top_y,
        );
    }
    let _ = write!(
        svg,
        r##"<polyline points="{}" fill="none" stroke="#1b5e20" stroke-width="2"/></svg>"##,
        points.join(" ")
    );
    svg
}

/// What the dashboard's template gets: the picture and a row a peer.
#[derive(Serialize)]
pub struct GlanceView {
    pub svg: String,
    pub peers: Vec<SparkRow>,
}

#[derive(Serialize)]
pub struct SparkRow {
    pub id: String,
    pub name: String,
    pub health: Option<PeerHealth>,
    pub delivered: i64,
    pub failed: i64,
    pub svg: String,
}

pub fn view(lang: Lang, node: &str, peers: &[GlancePeer]) -> GlanceView {
    GlanceView {
        svg: federation_svg(lang, node, peers),
        peers: peers
            .iter()
            .map(|p| SparkRow {
                id: p.peer.id.to_string(),
                name: p.peer.name.clone(),
                health: p.health,
                delivered: p.hours.iter().map(|h| h.delivered).sum(),
                failed: p.hours.iter().map(|h| h.failed).sum(),
                svg: sparkline(lang, p),
            })
            .collect(),
    }
}
