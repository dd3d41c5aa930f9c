//! Which HTTP signature to send to a server ("double knocking", as Fedify
//! does it): another Passerelle node (its actor says, by FEP-844e
//! `implements`, that it verifies RFC 9421 with Ed25519) gets RFC 9421
//! signed with the node's Ed25519 key, a fraction of an RSA signature's
//! cost; a server not known yet gets `federation.first_signature` first
//! and the other scheme after a 400 or 401; what a server accepted is
//! remembered per origin.

use std::sync::Arc;

use serde_json::{Value, json};

use http::Method;
use url::Url;

use crate::actor::{actor_id, ed25519_key_id};
use crate::cavage_signer;
use crate::context::ACTIVITY_JSON;
use crate::error::{Error, Result};
use crate::message_signature::{self, Challenge, PrivateKey};
use crate::peer::domain_of;
use crate::signing_pool;
use passerelle_config::SignatureScheme;
use passerelle_context::Context;
use passerelle_context::knocking::Signing;
use passerelle_model::keys::NodeKeys;

/// FEP-844e: the node verifies RFC 9421 signatures.
pub const IMPLEMENTS_RFC9421: &str = "https://datatracker.ietf.org/doc/html/rfc9421";
/// FEP-844e: the node verifies RFC 9421 signatures made with Ed25519 keys
/// listed under `assertionMethod`.
pub const IMPLEMENTS_RFC9421_ED25519: &str =
    "https://datatracker.ietf.org/doc/html/rfc9421#name-eddsa-using-curve-edwards25";

/// The key id and key an RFC 9421 signing uses (`None` for draft-cavage,
/// which `activitypub_federation`'s signer makes).
fn rfc9421_key<'k>(
    ctx: &Context,
    keys: &'k NodeKeys,
    signing: Signing,
) -> Option<(String, PrivateKey<'k>)> {
    match signing {
        Signing::Cavage => None,
        Signing::Rfc9421Rsa => Some((main_key_id(ctx), PrivateKey::Rsa(keys))),
        Signing::Rfc9421Ed25519 => Some((
            ed25519_key_id(&ctx.settings, keys).to_string(),
            PrivateKey::Ed25519(&keys.ed25519),
        )),
    }
}

fn main_key_id(ctx: &Context) -> String {
    format!("{}#main-key", actor_id(&ctx.settings))
}

/// Signs a request to `url` (a POST of the ActivityStreams `body`, or a GET
/// without one) as `signing` says, or as `challenge` asks when there is one
/// (its components, its algorithm): the one place deliveries and signed
/// reads are signed. The `extra` headers are sent and signed with the
/// request (either scheme covers them).
#[allow(clippy::too_many_arguments)]
pub async fn sign(
    data: &Context,
    builder: reqwest_middleware::RequestBuilder,
    method: &Method,
    url: &Url,
    body: Option<&str>,
    extra: &[(&'static str, String)],
    signing: Signing,
    challenge: Option<&Challenge>,
) -> Result<reqwest::Request> {
    let keys = data.keys();
    let key = match challenge.map(|c| c.alg.as_deref()) {
        None => rfc9421_key(data, &keys, signing),
        Some(None | Some("rsa-v1_5-sha256")) => rfc9421_key(data, &keys, Signing::Rfc9421Rsa),
        Some(Some("ed25519")) => rfc9421_key(data, &keys, Signing::Rfc9421Ed25519),
        Some(Some("rsa-pss-sha512")) => {
            Some((main_key_id(data), PrivateKey::RsaPss(&keys.rsa_private)))
        }
        Some(Some(other)) => {
            return Err(Error::Internal(format!(
                "the signature algorithm `{other}` is not one this node signs with"
            )));
        }
    };
    let mut builder = builder.header("host", domain_of(url));
    if let Some(body) = body {
        builder = builder
            .header(http::header::CONTENT_TYPE, ACTIVITY_JSON)
            .body(body.to_owned());
    }
    let Some((key_id, key)) = key else {
        // draft-cavage signs every header the request carries.
        for (name, value) in extra {
            builder = builder.header(*name, value);
        }
        // Signed afresh for every request, as activitypub_federation does.
        let builder = builder.header(
            "date",
            httpdate::fmt_http_date(std::time::SystemTime::now()),
        );
        return cavage_signer::sign(
            builder,
            main_key_id(data),
            bytes::Bytes::from(body.unwrap_or_default().to_owned()),
            Arc::clone(&keys),
        )
        .await;
    };
    let covered = challenge.map_or(&[][..], |c| &c.components);
    let headers = if let PrivateKey::Rsa(_) = key {
        // Off the async workers, one signature per core at a time.
        let (method, url, keys) = (method.clone(), url.clone(), Arc::clone(&keys));
        let (body, covered) = (body.map(str::to_owned), covered.to_vec());
        let extra = extra.to_vec();
        signing_pool::run(move || {
            message_signature::sign(
                &method,
                &url,
                body.as_deref().map(|body| (ACTIVITY_JSON, body.as_bytes())),
                &extra,
                &key_id,
                &PrivateKey::Rsa(&keys),
                &covered,
            )
        })
        .await??
    } else {
        message_signature::sign(
            method,
            url,
            body.map(|body| (ACTIVITY_JSON, body.as_bytes())),
            extra,
            &key_id,
            &key,
            covered,
        )?
    };
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder
        .build()
        .map_err(|e| Error::Internal(format!("request: {e}")))
}

/// The FEP-844e `implements` entries of the node's actor.
pub fn implements() -> Value {
    json!([
        {"href": IMPLEMENTS_RFC9421, "name": "RFC 9421: HTTP Message Signatures"},
        {"href": IMPLEMENTS_RFC9421_ED25519, "name": "RFC 9421 signatures with Ed25519 keys"},
        {"href": crate::activities::receipt::IMPLEMENTS, "name": "Signed receipts of what is held and removed"},
    ])
}

fn actor_implements(actor: &Value, href: &str) -> bool {
    actor
        .get("implements")
        .and_then(Value::as_array)
        .is_some_and(|entries| {
            entries
                .iter()
                .any(|entry| entry.get("href").and_then(Value::as_str) == Some(href))
        })
}

/// The schemes to try, in order, for a request to `origin`, whose actor
/// document (when known) is `actor`.
pub fn order(ctx: &Context, origin: &str, actor: Option<&Value>) -> Vec<Signing> {
    if actor.is_some_and(|actor| actor_implements(actor, IMPLEMENTS_RFC9421_ED25519)) {
        return vec![Signing::Rfc9421Ed25519, Signing::Cavage];
    }
    if let Some(known) = ctx.knocking.accepted(origin) {
        // What worked first; the other if the server changed its mind.
        let other = if known == Signing::Cavage {
            Signing::Rfc9421Rsa
        } else {
            Signing::Cavage
        };
        return vec![known, other];
    }
    match ctx.settings.federation.first_signature {
        SignatureScheme::Rfc9421 => vec![Signing::Rfc9421Rsa, Signing::Cavage],
        SignatureScheme::Cavage => vec![Signing::Cavage, Signing::Rfc9421Rsa],
    }
}
