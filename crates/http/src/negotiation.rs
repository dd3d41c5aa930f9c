//! Content negotiation on `Accept` (RFC 9110 §12.5.1): the same resource is
//! JSON for ActivityPub software and an HTML page for people.

use axum::http::{HeaderMap, header};

use crate::error::Error;

/// What a resource can be rendered as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    ActivityJson,
    LdJson,
    Html,
}

/// Offers for ActivityPub resources, in the server's order of preference
/// (used when the client rates several equally, e.g. `*/*`).
const ACTIVITYPUB_OFFERS: &[(&str, Representation)] = &[
    ("application/activity+json", Representation::ActivityJson),
    ("application/ld+json", Representation::LdJson),
    ("application/json", Representation::ActivityJson),
    ("text/html", Representation::Html),
];

/// Picks the representation of an ActivityPub resource for this request.
pub fn activitypub_representation(headers: &HeaderMap) -> crate::error::Result<Representation> {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    if accept.trim().is_empty() {
        return Ok(Representation::ActivityJson);
    }
    best_offer(&accept, ACTIVITYPUB_OFFERS).ok_or(Error::NotAcceptable(
        "application/activity+json, application/ld+json or text/html",
    ))
}

struct MediaRange<'a> {
    kind: &'a str,
    subtype: &'a str,
    quality: f32,
}

fn parse_accept(accept: &str) -> Vec<MediaRange<'_>> {
    accept
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let (kind, subtype) = parts.next()?.split_once('/')?;
            let quality = parts
                .filter_map(|param| param.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
                .map(|(_, value)| value.trim().parse::<f32>().unwrap_or(0.0))
                .unwrap_or(1.0);
            Some(MediaRange {
                kind: kind.trim(),
                subtype: subtype.trim(),
                quality: quality.clamp(0.0, 1.0),
            })
        })
        .collect()
}

/// The quality the client gives `offer`: that of the most specific range
/// matching it (`type/subtype` over `type/*` over `*/*`), 0 when none does.
fn quality_of(ranges: &[MediaRange<'_>], offer: &str) -> f32 {
    let Some((kind, subtype)) = offer.split_once('/') else {
        return 0.0;
    };
    ranges
        .iter()
        .filter_map(|range| {
            let specificity = if range.kind.eq_ignore_ascii_case(kind)
                && range.subtype.eq_ignore_ascii_case(subtype)
            {
                2
            } else if range.kind.eq_ignore_ascii_case(kind) && range.subtype == "*" {
                1
            } else if range.kind == "*" && range.subtype == "*" {
                0
            } else {
                return None;
            };
            Some((specificity, range.quality))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map_or(0.0, |(_, quality)| quality)
}

fn best_offer<T: Copy>(accept: &str, offers: &[(&str, T)]) -> Option<T> {
    let ranges = parse_accept(accept);
    let mut best: Option<(f32, T)> = None;
    for (media_type, value) in offers {
        let quality = quality_of(&ranges, media_type);
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, *value));
        }
    }
    best.map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Representation::*;

    fn pick(accept: &str) -> Option<Representation> {
        best_offer(accept, ACTIVITYPUB_OFFERS)
    }

    #[test]
    fn fediverse_clients_get_json() {
        assert_eq!(pick("application/activity+json"), Some(ActivityJson));
        assert_eq!(
            pick("application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""),
            Some(LdJson)
        );
        assert_eq!(pick("*/*"), Some(ActivityJson));
    }

    #[test]
    fn browsers_get_html() {
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(pick(firefox), Some(Html));
    }

    #[test]
    fn quality_values_are_honoured() {
        assert_eq!(
            pick("text/html;q=0.5, application/activity+json"),
            Some(ActivityJson)
        );
        assert_eq!(
            pick("text/html, application/activity+json;q=0.1"),
            Some(Html)
        );
        assert_eq!(pick("application/*;q=0, text/*"), Some(Html));
    }

    #[test]
    fn nothing_acceptable() {
        assert_eq!(pick("image/png"), None);
        assert_eq!(pick("garbage"), None);
    }
}
