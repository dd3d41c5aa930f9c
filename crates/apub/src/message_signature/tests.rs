//! RFC 9421 Appendix B test vectors.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderValue, Method, Uri};

use super::{MessageSignature, PublicKey, verify_content_digest};

/// `test-key-rsa-pss` (Appendix B.1.2), its public half.
const TEST_KEY_RSA_PSS: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----";

/// `test-key-ed25519` (Appendix B.1.4), its public half (`x`).
const TEST_KEY_ED25519_X: &str = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs";

/// The test request of Appendix B.2.
fn test_request(input: &str, signature: &str) -> (HeaderMap, Method, Uri) {
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("host", "example.com"),
        ("date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("content-type", "application/json"),
        (
            "content-digest",
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        ),
        ("content-length", "18"),
        ("signature-input", input),
        ("signature", signature),
    ] {
        headers.insert(name, HeaderValue::from_str(value).unwrap());
    }
    (
        headers,
        Method::POST,
        Uri::from_static("/foo?param=Value&Pet=dog"),
    )
}

/// A vector's signature read as given (its `keyid` is not a URL and
/// its `created` is from 2021: the policy checks are tested apart).
fn read(input: &str, signature: &str) -> (MessageSignature, String) {
    let (headers, method, uri) = test_request(input, signature);
    let parsed = MessageSignature::read_unchecked(&headers).unwrap();
    let base = parsed.base(&headers, &method, &uri, "https").unwrap();
    (parsed, base)
}

#[test]
fn b_2_6_ed25519_signature_verifies() {
    let (signature, base) = read(
        r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#,
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
    );
    assert_eq!(
        base,
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\
         \"@authority\": example.com\n\"content-type\": application/json\n\
         \"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \
         \"@authority\" \"content-type\" \"content-length\");created=1618884473;\
         keyid=\"test-key-ed25519\""
    );
    let x: [u8; 32] = URL_SAFE_NO_PAD
        .decode(TEST_KEY_ED25519_X)
        .unwrap()
        .try_into()
        .unwrap();
    let key = PublicKey::Ed25519(ed25519_dalek::VerifyingKey::from_bytes(&x).unwrap());
    assert!(signature.verify(&base, &key));
    assert!(!signature.verify(&base.replace("/foo", "/bar"), &key));
}

#[test]
fn b_2_1_rsa_pss_signature_verifies() {
    let (signature, base) = read(
        r#"sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd""#,
        "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:",
    );
    assert_eq!(
        base,
        "\"@signature-params\": ();created=1618884473;keyid=\"test-key-rsa-pss\";nonce=\"b3k2pp5k7z-50gnwp.yemd\""
    );
    let signature = MessageSignature {
        alg: Some("rsa-pss-sha512".into()),
        ..signature
    };
    let key = PublicKey::Rsa(TEST_KEY_RSA_PSS.to_owned());
    assert!(signature.verify(&base, &key));
    assert!(!signature.verify(&format!("{base} "), &key));
}

#[test]
fn what_this_node_signs_it_verifies() {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let url = url::Url::parse("https://peer.example:8443/inbox?x=1").unwrap();
    let body = br#"{"type":"Follow"}"#;
    let signed = super::sign(
        &Method::POST,
        &url,
        Some(("application/activity+json", body)),
        &[("collection-synchronization", "digest=\"00\"".to_owned())],
        "https://node.example/actor#ed25519-key",
        &super::PrivateKey::Ed25519(&key),
        &[],
    )
    .unwrap();
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("peer.example:8443"));
    headers.insert(
        "content-type",
        HeaderValue::from_static("application/activity+json"),
    );
    for (name, value) in signed {
        headers.insert(name, HeaderValue::from_str(&value).unwrap());
    }
    verify_content_digest(&headers, body).unwrap();
    let signature = MessageSignature::read(&headers, true).unwrap();
    assert!(signature.covers("collection-synchronization"));
    let uri = Uri::from_static("/inbox?x=1");
    let base = signature
        .base(&headers, &Method::POST, &uri, "https")
        .unwrap();
    assert!(signature.verify(&base, &PublicKey::Ed25519(key.verifying_key())));
    let elsewhere = signature
        .base(
            &headers,
            &Method::POST,
            &Uri::from_static("/inbox"),
            "https",
        )
        .unwrap();
    assert!(!signature.verify(&elsewhere, &PublicKey::Ed25519(key.verifying_key())));
}

#[test]
fn challenges_are_read() {
    let challenge = super::Challenge::parse(
        r#"sig1=("@method" "@target-uri" "@authority" "content-digest" "date");alg="ed25519""#,
    )
    .unwrap();
    assert_eq!(challenge.components.len(), 5);
    assert_eq!(challenge.alg.as_deref(), Some("ed25519"));
    assert!(super::Challenge::parse(r#"sig1=("@query-param";name="a")"#).is_none());
    assert!(super::Challenge::parse("not a dictionary (").is_none());
}

#[test]
fn b_2_content_digest_matches_the_body() {
    let (headers, _, _) = test_request("sig=()", "sig=:AA==:");
    verify_content_digest(&headers, br#"{"hello": "world"}"#).unwrap();
    assert!(verify_content_digest(&headers, br#"{"hello": "there"}"#).is_err());
}

#[test]
fn requests_must_cover_method_target_and_digest() {
    let now = super::now_seconds();
    let (headers, _, _) = test_request(
        &format!(r#"sig=("@method" "@authority");created={now};keyid="https://a.example/actor#k""#),
        "sig=:AA==:",
    );
    assert!(MessageSignature::read(&headers, false).is_err());
    let (headers, _, _) = test_request(
        &format!(
            r#"sig=("@method" "@target-uri");created={now};keyid="https://a.example/actor#k""#
        ),
        "sig=:AA==:",
    );
    assert!(MessageSignature::read(&headers, false).is_ok());
    assert!(
        MessageSignature::read(&headers, true).is_err(),
        "a POST covers content-digest"
    );
    let old = now - 2 * 3600;
    let (headers, _, _) = test_request(
        &format!(
            r#"sig=("@method" "@target-uri");created={old};keyid="https://a.example/actor#k""#
        ),
        "sig=:AA==:",
    );
    assert!(MessageSignature::read(&headers, false).is_err(), "too old");
}
