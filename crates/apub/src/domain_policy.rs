//! Which domains may talk to this node: the block and allow lists and the
//! admin's exclusions. It sits with the wire layer because signatures are
//! checked against it before any key is fetched; `domain::policy` adds the
//! admission of follow requests.

use crate::error::Result;
use passerelle_context::Context;

/// Why a domain may not follow or deliver, if it may not.
pub async fn refusal(ctx: &Context, domain: &str) -> Result<Option<String>> {
    let federation = &ctx.settings.federation;
    let listed = |list: &[String]| list.iter().any(|rule| rule_covers(rule, domain));
    if listed(&federation.blocklist) {
        return Ok(Some(format!("{domain} is on the blocklist")));
    }
    if let Some(exclusion) = ctx.store.exclusion(&domain.to_ascii_lowercase()).await? {
        return Ok(Some(format!(
            "{domain} was excluded by {}: {}",
            exclusion.excluded_by, exclusion.reason
        )));
    }
    if !federation.allowlist.is_empty() && !listed(&federation.allowlist) {
        return Ok(Some(format!("{domain} is not on the allowlist")));
    }
    Ok(None)
}

/// Refuses, with the reason, a domain the policy refuses: for requests the
/// node itself is asked to send (a follow, a fetch), whose reason is the
/// asker's to know.
pub async fn refuse(ctx: &Context, domain: &str) -> Result<()> {
    match refusal(ctx, domain).await? {
        Some(reason) => Err(crate::error::Error::Forbidden(reason)),
        None => Ok(()),
    }
}

/// Whether a block or allow list entry covers `domain` (`host[:port]`):
/// `example.org` covers that host on any port and its subdomains,
/// `*.example.org` only the subdomains, `host:port` that one port.
pub fn rule_covers(rule: &str, domain: &str) -> bool {
    let (rule, domain) = (rule.to_ascii_lowercase(), domain.to_ascii_lowercase());
    let (rule_host, rule_port) = split_port(&rule);
    let (host, port) = split_port(&domain);
    if rule_port.is_some() {
        return rule_host == host && rule_port == port;
    }
    match rule_host.strip_prefix("*.") {
        Some(parent) => host.ends_with(&format!(".{parent}")),
        None => host == rule_host || host.ends_with(&format!(".{rule_host}")),
    }
}

/// `host[:port]` split in two (an IPv6 host keeps its brackets).
fn split_port(domain: &str) -> (&str, Option<&str>) {
    match domain.rsplit_once(':') {
        Some((host, port))
            if !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && (!host.contains(':') || host.ends_with(']')) =>
        {
            (host, Some(port))
        }
        _ => (domain, None),
    }
}

/// Refuses a sender the policy refuses, telling it no more than that: the
/// reason (an exclusion's author and grounds) is for the logs and the
/// admin API, not for strangers.
pub async fn admit_sender(ctx: &Context, domain: &str) -> Result<()> {
    match refusal(ctx, domain).await? {
        None => Ok(()),
        Some(reason) => {
            tracing::info!(domain, reason, "refused by policy");
            Err(crate::error::Error::Forbidden(
                "this node does not accept requests from your domain".into(),
            ))
        }
    }
}
