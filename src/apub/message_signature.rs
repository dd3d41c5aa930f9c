//! RFC 9421 HTTP Message Signatures on incoming requests (Fedify signs
//! with them first, Mastodon accepts them since 4.5): `Signature-Input` and
//! `Signature` read as structured fields (RFC 9651, the `sfv` crate), the
//! signature base written by RFC 9421 section 2.5, `Content-Digest`
//! (RFC 9530) checked against the body, and `rsa-v1_5-sha256`,
//! `rsa-pss-sha512` and `ed25519` verified. The checks that need no key run
//! first, as for draft-cavage signatures.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, Method, Uri};
use rsa::RsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sfv::{BareItem, Dictionary, InnerList, ListEntry, Parser};
use sha2::{Digest, Sha256, Sha512};
use url::Url;

use crate::apub::signature::{MAX_AGE, MAX_AHEAD};
use crate::error::{Error, Result};

/// Whether a request carries an RFC 9421 signature.
pub fn present(headers: &HeaderMap) -> bool {
    headers.contains_key("signature-input")
}

/// A key a signature may be verified with.
#[derive(Debug, Clone, PartialEq)]
pub enum PublicKey {
    /// An RSA key in PEM (SubjectPublicKeyInfo), as actors publish it.
    Rsa(String),
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// One signature of a request, its shape checked.
#[derive(Debug, Clone)]
pub struct MessageSignature {
    components: Vec<String>,
    params: InnerList,
    signature: Vec<u8>,
    /// The `keyid` parameter, as given.
    key_id: String,
    alg: Option<String>,
}

fn refused(why: impl Into<String>) -> Error {
    Error::Unauthorized(why.into())
}

fn single<'h>(headers: &'h HeaderMap, name: &str) -> Result<&'h str> {
    let mut values = headers.get_all(name).iter();
    let value = values
        .next()
        .ok_or_else(|| refused(format!("the request has no `{name}` header")))?;
    if values.next().is_some() {
        return Err(refused(format!(
            "the request has more than one `{name}` header"
        )));
    }
    value
        .to_str()
        .map_err(|_| refused(format!("the `{name}` header is not text")))
}

fn dictionary(headers: &HeaderMap, name: &str) -> Result<Dictionary> {
    Parser::new(single(headers, name)?)
        .parse_dictionary()
        .map_err(|e| {
            refused(format!(
                "the `{name}` header is not a structured dictionary: {e}"
            ))
        })
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl MessageSignature {
    /// Reads and checks the request's signature: the first label in both
    /// `Signature-Input` and `Signature`, covering `@method`, the target
    /// (`@target-uri`, or `@authority` with `@path` or `@request-target`)
    /// and, on a request with a body, `content-digest`; `created` within
    /// the same window as a `Date`, `expires` not past, a `keyid` that is
    /// an http(s) URL, an algorithm this node verifies.
    pub fn read(headers: &HeaderMap, with_body: bool) -> Result<MessageSignature> {
        let signature = Self::read_unchecked(headers)?;
        let covers = |name: &str| signature.components.iter().any(|c| c == name);
        let target = covers("@target-uri")
            || (covers("@authority") && (covers("@path") || covers("@request-target")));
        if !covers("@method") || !target {
            return Err(refused(
                "the signature must cover `@method` and `@target-uri` (or `@authority` and `@path`)",
            ));
        }
        if with_body && !covers("content-digest") {
            return Err(refused("the signature must cover `content-digest`"));
        }
        let param = |name: &str| signature.params.params.get(name);
        let created = param("created")
            .and_then(BareItem::as_integer)
            .map(i64::from)
            .ok_or_else(|| refused("the signature has no `created` time"))?;
        let now = now_seconds();
        if now - created > MAX_AGE.as_secs() as i64 || created - now > MAX_AHEAD.as_secs() as i64 {
            return Err(refused(format!(
                "the signature's `created` is outside the accepted window (at most {} minutes old, {} ahead)",
                MAX_AGE.as_secs() / 60,
                MAX_AHEAD.as_secs() / 60
            )));
        }
        if let Some(expires) = param("expires") {
            let expires = expires
                .as_integer()
                .map(i64::from)
                .ok_or_else(|| refused("the signature's `expires` is not a time"))?;
            if expires < now {
                return Err(refused("the signature has expired"));
            }
        }
        signature.key_id()?;
        if let Some(alg) = &signature.alg {
            if !matches!(
                alg.as_str(),
                "rsa-v1_5-sha256" | "rsa-pss-sha512" | "ed25519"
            ) {
                return Err(refused(format!(
                    "the signature algorithm `{alg}` is not one of rsa-v1_5-sha256, rsa-pss-sha512, ed25519"
                )));
            }
        }
        Ok(signature)
    }

    /// The id of the key that signed, an http(s) URL.
    pub fn key_id(&self) -> Result<Url> {
        Url::parse(&self.key_id)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some())
            .ok_or_else(|| refused("the signature's `keyid` is not an http(s) URL"))
    }

    /// The signature as the headers give it, before any policy check.
    fn read_unchecked(headers: &HeaderMap) -> Result<MessageSignature> {
        let inputs = dictionary(headers, "signature-input")?;
        let signatures = dictionary(headers, "signature")?;
        let (label, params) = inputs
            .iter()
            .find_map(|(label, entry)| match entry {
                ListEntry::InnerList(list) if signatures.contains_key(label) => {
                    Some((label.clone(), list.clone()))
                }
                _ => None,
            })
            .ok_or_else(|| refused("no signature in `Signature` matches `Signature-Input`"))?;
        let signature = match signatures.get(&label) {
            Some(ListEntry::Item(item)) => item
                .bare_item
                .as_byte_sequence()
                .map(<[u8]>::to_vec)
                .ok_or_else(|| refused("the signature is not a byte sequence"))?,
            _ => return Err(refused("the signature is not a byte sequence")),
        };
        let mut components = Vec::new();
        for item in &params.items {
            let name = item
                .bare_item
                .as_string()
                .ok_or_else(|| refused("a covered component is not a string"))?;
            if !item.params.is_empty() {
                return Err(refused(format!(
                    "the component `{}` has parameters, which this node does not support",
                    name.as_str()
                )));
            }
            components.push(name.as_str().to_ascii_lowercase());
        }
        let text = |name: &str| {
            params
                .params
                .get(name)
                .and_then(BareItem::as_string)
                .map(|value| value.as_str().to_owned())
        };
        Ok(MessageSignature {
            key_id: text("keyid").ok_or_else(|| refused("the signature has no `keyid`"))?,
            alg: text("alg"),
            components,
            params,
            signature,
        })
    }

    /// The signature base (RFC 9421 section 2.5) of the request, whose
    /// target URI has scheme `scheme`.
    pub fn base(
        &self,
        headers: &HeaderMap,
        method: &Method,
        uri: &Uri,
        scheme: &str,
    ) -> Result<String> {
        let authority =
            || -> Result<String> { Ok(single(headers, "host")?.trim().to_ascii_lowercase()) };
        let path = if uri.path().is_empty() {
            "/"
        } else {
            uri.path()
        };
        let query = uri.query().map(|q| format!("?{q}"));
        let mut base = String::new();
        for component in &self.components {
            let value = match component.as_str() {
                "@method" => method.as_str().to_owned(),
                "@authority" => authority()?,
                "@scheme" => scheme.to_owned(),
                "@path" => path.to_owned(),
                "@query" => query.clone().unwrap_or_else(|| "?".to_owned()),
                "@request-target" => format!("{path}{}", query.as_deref().unwrap_or_default()),
                "@target-uri" => format!(
                    "{scheme}://{}{path}{}",
                    authority()?,
                    query.as_deref().unwrap_or_default()
                ),
                derived if derived.starts_with('@') => {
                    return Err(refused(format!(
                        "the component `{derived}` is not supported on a request"
                    )));
                }
                field => {
                    let values: Vec<&str> = headers
                        .get_all(field)
                        .iter()
                        .map(|v| v.to_str().map(str::trim))
                        .collect::<std::result::Result<_, _>>()
                        .map_err(|_| refused(format!("the `{field}` header is not text")))?;
                    if values.is_empty() {
                        return Err(refused(format!("the signed `{field}` header is missing")));
                    }
                    values.join(", ")
                }
            };
            base.push_str(&format!("\"{component}\": {value}\n"));
        }
        base.push_str(&format!(
            "\"@signature-params\": {}",
            self.serialized_params()
        ));
        Ok(base)
    }

    fn serialized_params(&self) -> String {
        let mut list = sfv::ListSerializer::new();
        {
            let mut inner = list.inner_list();
            inner.items(&self.params.items);
            let _ = inner.finish().parameters(&self.params.params);
        }
        list.finish().unwrap_or_default()
    }

    /// Verifies the signature over `base` with `key`, by the signature's
    /// `alg` (or the key's kind when it names none).
    pub fn verify(&self, base: &str, key: &PublicKey) -> bool {
        match (key, self.alg.as_deref()) {
            (PublicKey::Rsa(pem), None | Some("rsa-v1_5-sha256")) => {
                let Ok(key) = RsaPublicKey::from_public_key_pem(pem) else {
                    return false;
                };
                rsa::pkcs1v15::Signature::try_from(self.signature.as_slice()).is_ok_and(|s| {
                    rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
                        .verify(base.as_bytes(), &s)
                        .is_ok()
                })
            }
            (PublicKey::Rsa(pem), Some("rsa-pss-sha512")) => {
                let Ok(key) = RsaPublicKey::from_public_key_pem(pem) else {
                    return false;
                };
                rsa::pss::Signature::try_from(self.signature.as_slice()).is_ok_and(|s| {
                    rsa::pss::VerifyingKey::<Sha512>::new(key)
                        .verify(base.as_bytes(), &s)
                        .is_ok()
                })
            }
            (PublicKey::Ed25519(key), None | Some("ed25519")) => {
                ed25519_dalek::Signature::from_slice(&self.signature)
                    .is_ok_and(|s| key.verify_strict(base.as_bytes(), &s).is_ok())
            }
            _ => false,
        }
    }
}

/// A key this node signs requests with, and how.
pub enum PrivateKey<'a> {
    /// Signed `rsa-v1_5-sha256`, the algorithm every RFC 9421 verifier has.
    Rsa(&'a rsa::RsaPrivateKey),
    /// Signed `rsa-pss-sha512`, when a server asks for it.
    RsaPss(&'a rsa::RsaPrivateKey),
    Ed25519(&'a ed25519_dalek::SigningKey),
}

/// What a server asks for in an `Accept-Signature` challenge (RFC 9421
/// section 5.1): the components to cover and, when it says, the algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub components: Vec<String>,
    pub alg: Option<String>,
}

impl Challenge {
    /// The first signature the header asks for; `None` when it is not a
    /// challenge this node can read (components with parameters included).
    pub fn parse(header: &str) -> Option<Challenge> {
        let requested: Dictionary = Parser::new(header).parse_dictionary().ok()?;
        let (_, ListEntry::InnerList(list)) = requested.iter().next()? else {
            return None;
        };
        let mut components = Vec::new();
        for item in &list.items {
            if !item.params.is_empty() {
                return None;
            }
            components.push(item.bare_item.as_string()?.as_str().to_ascii_lowercase());
        }
        let alg = list
            .params
            .get("alg")
            .and_then(BareItem::as_string)
            .map(|alg| alg.as_str().to_owned());
        Some(Challenge { components, alg })
    }
}

/// The headers that sign a request to `url` by RFC 9421: `@method`,
/// `@target-uri`, and with a body its `content-type` and `content-digest`
/// (which is among the headers returned), and `also_cover` (what a
/// challenge asked for: derived components, `date`, or those headers).
pub fn sign(
    method: &Method,
    url: &Url,
    body: Option<(&str, &[u8])>,
    key_id: &str,
    key: &PrivateKey,
    also_cover: &[String],
) -> Result<Vec<(&'static str, String)>> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use rsa::signature::{SignatureEncoding, Signer};

    let authority = crate::apub::peer::domain_of(url);
    let header = |value: &str| {
        axum::http::HeaderValue::from_str(value)
            .map_err(|e| Error::Internal(format!("signature header: {e}")))
    };
    let mut headers = HeaderMap::new();
    headers.insert("host", header(&authority)?);
    let mut components = vec!["@method", "@target-uri"];
    let mut signed = Vec::new();
    if let Some((content_type, body)) = body {
        let digest = format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)));
        headers.insert("content-type", header(content_type)?);
        headers.insert("content-digest", header(&digest)?);
        components.extend(["content-type", "content-digest"]);
        signed.push(("content-digest", digest));
    }
    let mut components: Vec<String> = components.into_iter().map(str::to_owned).collect();
    for extra in also_cover {
        if components.contains(extra) {
            continue;
        }
        match extra.as_str() {
            "@method" | "@target-uri" | "@authority" | "@scheme" | "@path" | "@query"
            | "@request-target" | "host" => {}
            "date" => {
                let date = httpdate::fmt_http_date(SystemTime::now());
                headers.insert("date", header(&date)?);
                signed.push(("date", date));
            }
            other if headers.contains_key(other) => {}
            other => {
                return Err(Error::Internal(format!(
                    "cannot cover `{other}`, asked for by a signature challenge"
                )));
            }
        }
        components.push(extra.clone());
    }
    let alg = match key {
        PrivateKey::Rsa(_) => "rsa-v1_5-sha256",
        PrivateKey::RsaPss(_) => "rsa-pss-sha512",
        PrivateKey::Ed25519(_) => "ed25519",
    };
    let covered: Vec<String> = components.iter().map(|c| format!("\"{c}\"")).collect();
    let input = format!(
        "sig1=({});created={};keyid=\"{key_id}\";alg=\"{alg}\"",
        covered.join(" "),
        now_seconds()
    );
    headers.insert("signature-input", header(&input)?);
    // The value is not read to write the base; the label must be there.
    headers.insert("signature", header("sig1=:AA==:")?);
    let target: Uri = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
    .parse()
    .map_err(|e| Error::Internal(format!("signature target: {e}")))?;
    let base = MessageSignature::read_unchecked(&headers)?.base(
        &headers,
        method,
        &target,
        url.scheme(),
    )?;
    let signature = match key {
        PrivateKey::Rsa(key) => rsa::pkcs1v15::SigningKey::<Sha256>::new((*key).clone())
            .sign(base.as_bytes())
            .to_vec(),
        PrivateKey::RsaPss(key) => {
            use rsa::signature::RandomizedSigner;
            rsa::pss::SigningKey::<Sha512>::new((*key).clone())
                .sign_with_rng(&mut rand::thread_rng(), base.as_bytes())
                .to_vec()
        }
        PrivateKey::Ed25519(key) => key.sign(base.as_bytes()).to_bytes().to_vec(),
    };
    signed.push(("signature-input", input));
    signed.push((
        "signature",
        format!("sig1=:{}:", STANDARD.encode(signature)),
    ));
    Ok(signed)
}

/// Checks `Content-Digest` (RFC 9530) against the body: at least one of
/// `sha-256` and `sha-512`, and every one of them present, must match.
pub fn verify_content_digest(headers: &HeaderMap, body: &[u8]) -> Result<()> {
    let digests = dictionary(headers, "content-digest")?;
    let mut checked = 0;
    for (algorithm, entry) in &digests {
        let expected = match algorithm.as_str() {
            "sha-256" => Sha256::digest(body).to_vec(),
            "sha-512" => Sha512::digest(body).to_vec(),
            _ => continue,
        };
        let given = match entry {
            ListEntry::Item(item) => item.bare_item.as_byte_sequence(),
            ListEntry::InnerList(_) => None,
        };
        if given != Some(expected.as_slice()) {
            return Err(Error::BadRequest(
                "the Content-Digest header does not match the body".into(),
            ));
        }
        checked += 1;
    }
    if checked == 0 {
        return Err(refused(
            "the Content-Digest has no sha-256 or sha-512 value",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! RFC 9421 Appendix B test vectors.

    use axum::http::{HeaderMap, HeaderValue, Method, Uri};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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
            &format!(
                r#"sig=("@method" "@authority");created={now};keyid="https://a.example/actor#k""#
            ),
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
}
