//! Progress of the long commands on a terminal: a count with its rate, or
//! a spinner with the time spent when there is nothing to count. Nothing
//! is drawn when standard error is not a terminal (scripts, CI).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A running count of `unit` (`rows`, …), with its rate.
pub fn counter(what: &str, unit: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let template = format!("{{spinner}} {what}: {{human_pos}} {unit} ({{per_sec}}, {{elapsed}})");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar.tick();
    bar
}

/// A spinner for work that has no count, with the time spent.
pub fn spinner(what: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let template = format!("{{spinner}} {what} ({{elapsed}})");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar.tick();
    bar
}
