//! Server-rendered HTML pages from the templates in `templates/`, embedded
//! in the binary so a node needs no files beside it. minijinja escapes
//! every value in `.html` templates, so peer-supplied text shows as text.

use axum::response::Html;
use minijinja::Environment;
use serde::Serialize;

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

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../templates/base.html")),
    ("actor.html", include_str!("../../../templates/actor.html")),
    (
        "object.html",
        include_str!("../../../templates/object.html"),
    ),
    console!("layout"),
    console!("sign_in"),
    console!("error"),
    console!("dashboard"),
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
    console!("webhooks"),
    console!("webhook"),
    console!("dfc"),
    console!("peer"),
    console!("amendment_new"),
    console!("amendment_preview"),
];

/// A wire timestamp as people read it: to the minute, in UTC (the exact
/// value stays in the API).
fn when(timestamp: String) -> String {
    chrono::DateTime::parse_from_rfc3339(&timestamp).map_or(timestamp, |at| {
        at.with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string()
    })
}

impl Templates {
    pub fn new() -> crate::error::Result<Templates> {
        let mut env = Environment::new();
        env.add_filter("when", when);
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
    fn timestamps_read_to_the_minute_in_utc() {
        assert_eq!(
            when("2026-11-24T22:09:50.498Z".into()),
            "2026-11-24 22:09 UTC"
        );
        assert_eq!(
            when("2026-11-24T23:09:50+01:00".into()),
            "2026-11-24 22:09 UTC"
        );
        assert_eq!(when("yesterday".into()), "yesterday");
    }
}
