//! Signing an outgoing request by RFC 9421, with the components a
//! challenge asked for.

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue, Method, Uri};
use sha2::{Digest, Sha256, Sha512};
use url::Url;

use super::{MessageSignature, now_seconds};
use crate::error::{Error, Result};

/// A key this node signs requests with, and how.
pub enum PrivateKey<'a> {
    /// Signed `rsa-v1_5-sha256`, the algorithm every RFC 9421 verifier has
    /// (by AWS-LC, from the key parsed once).
    Rsa(&'a crate::model::keys::NodeKeys),
    /// Signed `rsa-pss-sha512`, when a server asks for it.
    RsaPss(&'a rsa::RsaPrivateKey),
    Ed25519(&'a ed25519_dalek::SigningKey),
}

impl PrivateKey<'_> {
    /// The `alg` parameter naming how this key signs.
    fn alg(&self) -> &'static str {
        match self {
            PrivateKey::Rsa(_) => "rsa-v1_5-sha256",
            PrivateKey::RsaPss(_) => "rsa-pss-sha512",
            PrivateKey::Ed25519(_) => "ed25519",
        }
    }

    fn signature_of(&self, base: &str) -> Result<Vec<u8>> {
        use rsa::signature::{RandomizedSigner, SignatureEncoding, Signer};
        Ok(match self {
            PrivateKey::Rsa(keys) => keys.rsa_sign(base.as_bytes())?,
            PrivateKey::RsaPss(key) => rsa::pss::SigningKey::<Sha512>::new((*key).clone())
                .sign_with_rng(&mut rand::thread_rng(), base.as_bytes())
                .to_vec(),
            PrivateKey::Ed25519(key) => key.sign(base.as_bytes()).to_bytes().to_vec(),
        })
    }
}

/// The headers that sign a request to `url` by RFC 9421: `@method`,
/// `@target-uri`, and with a body its `content-type` and `content-digest`
/// (which is among the headers returned), the `extra` headers (returned
/// too, to send), and `also_cover` (what a challenge asked for: derived
/// components, `date`, or those headers).
pub fn sign(
    method: &Method,
    url: &Url,
    body: Option<(&str, &[u8])>,
    extra: &[(&'static str, String)],
    key_id: &str,
    key: &PrivateKey,
    also_cover: &[String],
) -> Result<Vec<(&'static str, String)>> {
    let Covered {
        mut headers,
        components,
        mut signed,
    } = Covered::new(url, body, extra, also_cover)?;
    let covered: Vec<String> = components.iter().map(|c| format!("\"{c}\"")).collect();
    let input = format!(
        "sig1=({});created={};keyid=\"{key_id}\";alg=\"{}\"",
        covered.join(" "),
        now_seconds(),
        key.alg()
    );
    headers.insert("signature-input", header(&input)?);
    // The value is not read to write the base; the label must be there.
    headers.insert("signature", header("sig1=:AA==:")?);
    let base = MessageSignature::read_unchecked(&headers)?.base(
        &headers,
        method,
        &path_and_query(url)?,
        url.scheme(),
    )?;
    let signature = key.signature_of(&base)?;
    signed.push(("signature-input", input));
    signed.push((
        "signature",
        format!("sig1=:{}:", STANDARD.encode(signature)),
    ));
    Ok(signed)
}

/// What a signature is to cover: the request's headers as the signature
/// base reads them, the components in order, and those of the headers the
/// caller must send (the ones the request does not carry already).
struct Covered {
    headers: HeaderMap,
    components: Vec<String>,
    signed: Vec<(&'static str, String)>,
}

impl Covered {
    fn new(
        url: &Url,
        body: Option<(&str, &[u8])>,
        extra: &[(&'static str, String)],
        also_cover: &[String],
    ) -> Result<Covered> {
        let mut covered = Covered {
            headers: HeaderMap::new(),
            components: vec!["@method".to_owned(), "@target-uri".to_owned()],
            signed: Vec::new(),
        };
        let authority = crate::peer::domain_of(url);
        covered.headers.insert("host", header(&authority)?);
        if let Some((content_type, body)) = body {
            let digest = format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)));
            let headers = &mut covered.headers;
            headers.insert("content-type", header(content_type)?);
            headers.insert("content-digest", header(&digest)?);
            covered.components.extend(
                ["content-type", "content-digest"]
                    .into_iter()
                    .map(str::to_owned),
            );
            covered.signed.push(("content-digest", digest));
        }
        for (name, value) in extra {
            covered.headers.insert(*name, header(value)?);
            covered.components.push((*name).to_owned());
            covered.signed.push((name, value.clone()));
        }
        for extra in also_cover {
            covered.also(extra)?;
        }
        Ok(covered)
    }

    /// Covers `extra` as well, as a challenge asked.
    fn also(&mut self, extra: &str) -> Result<()> {
        if self.components.iter().any(|c| c == extra) {
            return Ok(());
        }
        match extra {
            "@method" | "@target-uri" | "@authority" | "@scheme" | "@path" | "@query"
            | "@request-target" | "host" => {}
            "date" => {
                let date = httpdate::fmt_http_date(SystemTime::now());
                self.headers.insert("date", header(&date)?);
                self.signed.push(("date", date));
            }
            other if self.headers.contains_key(other) => {}
            other => {
                return Err(Error::Internal(format!(
                    "cannot cover `{other}`, asked for by a signature challenge"
                )));
            }
        }
        self.components.push(extra.to_owned());
        Ok(())
    }
}

fn header(value: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(value).map_err(|e| Error::Internal(format!("signature header: {e}")))
}

/// The request target of `url`: its path and query.
fn path_and_query(url: &Url) -> Result<Uri> {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
    .parse()
    .map_err(|e| Error::Internal(format!("signature target: {e}")))
}
