//! Server-rendered HTML pages from the templates in `templates/`, embedded
//! in the binary so a node needs no files beside it. minijinja escapes
//! every value in `.html` templates, so peer-supplied text shows as text.

use axum::response::Html;
use chrono_tz::Tz;
use minijinja::{Environment, State, Value};
use serde::Serialize;

use crate::console::i18n::Lang;
use crate::console::phrases;
use crate::error::Error;

pub struct Templates {
    env: Environment<'static>,
}

macro_rules! console {
    ($name:literal) => {
        (
            concat!("console/", $name, ".html"),
            include_str!(concat!("../../../templates/console/", $name, ".html")),
        )
    };
}

pub(crate) const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../templates/base.html")),
    ("actor.html", include_str!("../../../templates/actor.html")),
    (
        "object.html",
        include_str!("../../../templates/object.html"),
    ),
    console!("layout"),
    console!("pager"),
    console!("votes"),
    console!("sign_in"),
    console!("error"),
    console!("dashboard"),
    console!("glance"),
    console!("requests"),
    console!("peers"),
    console!("peer_terms"),
    console!("charter"),
    console!("amendments"),
    console!("network"),
    console!("membership"),
    console!("published"),
    console!("catalog"),
    console!("audit"),
    console!("agreements"),
    console!("sharing"),
    console!("setup"),
    console!("tokens"),
    console!("token_created"),
    console!("settings"),
    console!("webhooks"),
    console!("webhook"),
    console!("dfc"),
    console!("peer"),
    console!("amendment_new"),
    console!("amendment_preview"),
];

/// A wire timestamp as people read it: to the minute, in the console's
/// time zone, inside a `<time>` element that keeps the exact instant
/// (`datetime`) and the UTC reading on hover (`title`). Anything that is
/// not a timestamp shows as text.
fn when(zone: Tz, timestamp: &str) -> Value {
    let Ok(at) = chrono::DateTime::parse_from_rfc3339(timestamp) else {
        return Value::from(timestamp);
    };
    let utc = at.with_timezone(&chrono::Utc);
    let local = utc.with_timezone(&zone);
    let shown = if zone == Tz::UTC {
        local.format("%Y-%m-%d %H:%M UTC").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M %Z").to_string()
    };
    Value::from_safe_string(format!(
        "<time datetime=\"{}\" title=\"{}\">{}</time>",
        utc.format("%Y-%m-%dT%H:%M:%SZ"),
        utc.format("%Y-%m-%d %H:%M:%S UTC"),
        escape(&shown),
    ))
}

/// Text as HTML text (the zone's abbreviation comes from the tz database).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What the node said (a reason, an error, an audit detail) in the page's
/// language when it is a shape the console knows (`console::phrases`).
fn says(state: &State, text: &str) -> String {
    let lang = match state.lookup("lang").as_ref().and_then(Value::as_str) {
        Some("fr") => Lang::Fr,
        _ => Lang::En,
    };
    phrases::translate(lang, text)
}

impl Templates {
    /// The templates, showing times in `time_zone` (an IANA name checked
    /// when the settings load; UTC when it is not one).
    pub fn new(time_zone: &str) -> crate::error::Result<Templates> {
        let zone: Tz = time_zone.parse().unwrap_or(Tz::UTC);
        let mut env = Environment::new();
        env.add_filter("when", move |timestamp: &str| when(zone, timestamp));
        env.add_filter("says", says);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| Error::Internal(format!("template {name}: {e}")))?;
        }
        Ok(Templates { env })
    }

    pub fn render(
        &self,
        name: &str,
        context: impl Serialize,
    ) -> crate::error::Result<Html<String>> {
        let template = self
            .env
            .get_template(name)
            .map_err(|e| Error::Internal(format!("template {name}: {e}")))?;
        template
            .render(context)
            .map(Html)
            .map_err(|e| Error::Internal(format!("rendering {name}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_to_the_minute_with_utc_on_hover() {
        let utc = |t: &str| when(Tz::UTC, t).to_string();
        assert_eq!(
            utc("2026-11-24T22:09:50.498Z"),
            "<time datetime=\"2026-11-24T22:09:50Z\" title=\"2026-11-24 22:09:50 UTC\">\
             2026-11-24 22:09 UTC</time>"
        );
        assert_eq!(
            utc("2026-11-24T23:09:50+01:00"),
            utc("2026-11-24T22:09:50Z"),
            "an offset is the same instant"
        );
        assert_eq!(utc("yesterday"), "yesterday");
        let paris = when(chrono_tz::Europe::Paris, "2026-07-01T22:09:50Z").to_string();
        assert!(
            paris.ends_with("title=\"2026-07-01 22:09:50 UTC\">2026-07-02 00:09 CEST</time>"),
            "{paris}"
        );
    }

    #[test]
    fn a_template_shows_times_in_the_console_time_zone() {
        let templates = Templates::new("America/New_York").expect("templates");
        let mut env = templates.env.clone();
        env.add_template("t", "{{ at|when }}").expect("template");
        let html = env
            .get_template("t")
            .and_then(|t| t.render(minijinja::context! { at => "2026-01-01T12:00:00Z" }))
            .expect("render");
        assert!(html.contains(">2026-01-01 07:00 EST</time>"), "{html}");
    }
}
