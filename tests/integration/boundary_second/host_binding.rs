//! A signature made for another server, replayed here: an approved
//! follower's signed read of `other.example` (draft-cavage `host`, RFC 9421
//! `@authority` and `@target-uri`) sent to this node with that `Host` is
//! refused 401 and reads nothing followers-only; the same read signed for
//! this node's host is served. A stranger's POST signed for another host
//! is refused before its key is looked up.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use passerelle::domain::tokens::Scope;
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::json;
use url::Url;

use crate::mock_peer::{MockPeer, follow, new_key};
use crate::on_both_backends;
use crate::rig::federation::approve_follower;
use crate::rig::{TestDatabase, TestNode};

on_both_backends!(signatures_for_another_host_are_refused);

/// How a test request is signed, and for which host.
#[derive(Clone, Copy, Debug)]
enum Scheme {
    /// draft-cavage, covering `(request-target) host date`.
    Cavage,
    /// RFC 9421, covering `@method @authority @path`.
    Authority,
    /// RFC 9421, covering `@method @target-uri`.
    TargetUri,
}

fn rsa_sign(key: &RsaPrivateKey, text: &str) -> String {
    STANDARD.encode(
        SigningKey::<sha2::Sha256>::new(key.clone())
            .sign(text.as_bytes())
            .to_bytes(),
    )
}

/// The headers of a GET of `url` signed as `scheme` for `host` (which the
/// request then carries as its `Host`), written from the specifications,
/// not with the node's code.
fn signed_get_headers(
    scheme: Scheme,
    url: &Url,
    host: &str,
    key_id: &str,
    key: &RsaPrivateKey,
) -> Vec<(&'static str, String)> {
    let path = url.path();
    let target = match url.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    let mut headers = vec![
        ("host", host.to_owned()),
        ("accept", "application/activity+json".to_owned()),
    ];
    if let Scheme::Cavage = scheme {
        let date = httpdate::fmt_http_date(SystemTime::now());
        let signing = format!("(request-target): get {target}\nhost: {host}\ndate: {date}");
        headers.push(("date", date));
        headers.push((
            "signature",
            format!(
                "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",signature=\"{}\"",
                rsa_sign(key, &signing)
            ),
        ));
        return headers;
    }
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (components, lines) = match scheme {
        Scheme::Authority => (
            "\"@method\" \"@authority\" \"@path\"",
            format!("\"@method\": GET\n\"@authority\": {host}\n\"@path\": {path}\n"),
        ),
        _ => (
            "\"@method\" \"@target-uri\"",
            format!(
                "\"@method\": GET\n\"@target-uri\": {}://{host}{target}\n",
                url.scheme()
            ),
        ),
    };
    let params =
        format!("({components});created={created};keyid=\"{key_id}\";alg=\"rsa-v1_5-sha256\"");
    let base = format!("{lines}\"@signature-params\": {params}");
    headers.push(("signature-input", format!("sig1={params}")));
    headers.push(("signature", format!("sig1=:{}:", rsa_sign(key, &base))));
    headers
}

async fn send_get(url: &Url, headers: Vec<(&'static str, String)>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(url.clone());
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn signatures_for_another_host_are_refused(db: TestDatabase) {
    let node = TestNode::start(&db).await;
    let admin = node.token(Scope::Admin).await;
    let platform = node.token(Scope::Platform).await;
    let key = new_key();
    let follower = MockPeer::with_actor(&key, None).await;
    let actor = follower.url("/actor");
    approve_follower(&node, &admin, &actor, &key).await;
    // A followers-only member (persons are followers-only by default).
    let person = json!({"type": "Person", "name": "Camille Martin", "role": "worker"});
    let put = node
        .put_json("/api/v1/members/camille", &platform, &person)
        .await;
    assert!(put.status().is_success(), "{:?}", put.text().await);

    let own_host = node.base.authority().to_owned();
    let key_id = format!("{actor}#main-key");
    let object = Url::parse(&node.url("/members/camille")).unwrap();
    let collection = Url::parse(&node.url("/members?page=true")).unwrap();
    for scheme in [Scheme::Cavage, Scheme::Authority, Scheme::TargetUri] {
        for url in [&object, &collection] {
            // Made for other.example, replayed here with its Host.
            let replayed = signed_get_headers(scheme, url, "other.example", &key_id, &key);
            let (status, body) = send_get(url, replayed).await;
            assert_eq!(status, 401, "{scheme:?} {url}: {body}");
            assert!(!body.contains("Camille"), "{scheme:?} {url}: {body}");
            // Made for this node: the follower reads.
            let honest = signed_get_headers(scheme, url, &own_host, &key_id, &key);
            let (status, body) = send_get(url, honest).await;
            assert_eq!(status, 200, "{scheme:?} {url}: {body}");
            assert!(body.contains("Camille"), "{scheme:?} {url}: {body}");
        }
    }

    // A stranger's Follow signed for another host: refused before its key
    // is looked up (its server sees no request), nothing stored.
    let stranger_key = new_key();
    let stranger = MockPeer::with_actor(&stranger_key, None).await;
    let stranger_actor = stranger.url("/actor");
    let body = follow(&stranger_actor, &node.actor());
    let digest = format!(
        "SHA-256={}",
        STANDARD.encode(<sha2::Sha256 as sha2::Digest>::digest(&body))
    );
    let date = httpdate::fmt_http_date(SystemTime::now());
    let signing = format!(
        "(request-target): post /inbox\nhost: other.example\ndate: {date}\ndigest: {digest}"
    );
    let response = reqwest::Client::new()
        .post(node.url("/inbox"))
        .header("host", "other.example")
        .header("content-type", "application/activity+json")
        .header("date", date)
        .header("digest", digest)
        .header(
            "signature",
            format!(
                "keyId=\"{stranger_actor}#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{}\"",
                rsa_sign(&stranger_key, &signing)
            ),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        stranger.total(),
        0,
        "no key work for a misdirected signature"
    );
    assert_eq!(
        db.query_i64(&format!(
            "SELECT COUNT(*) FROM peers WHERE actor_uri = '{stranger_actor}'"
        ))
        .await,
        0
    );
    node.stop().await;
}
