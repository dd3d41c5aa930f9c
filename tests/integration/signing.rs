//! An HTTP signature signer written for the tests (draft-cavage,
//! rsa-sha256), independent of the node's own, so that tests can send
//! both well-formed and deliberately broken signed requests.

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha2::{Digest, Sha256};

pub struct SignedPost {
    pub url: url::Url,
    pub body: Vec<u8>,
    pub key_id: String,
    pub key: RsaPrivateKey,
    pub date: SystemTime,
    /// Sign and send this digest instead of the body's.
    pub digest_of: Option<Vec<u8>>,
    pub signed_headers: &'static str,
    pub method: reqwest::Method,
    /// One more header sent (and signed when `signed_headers` names it).
    pub extra: Option<(&'static str, String)>,
}

impl SignedPost {
    pub fn new(url: &str, body: Vec<u8>, key_id: &str, key: &RsaPrivateKey) -> SignedPost {
        SignedPost {
            url: url::Url::parse(url).unwrap(),
            body,
            key_id: key_id.to_owned(),
            key: key.clone(),
            date: SystemTime::now(),
            digest_of: None,
            signed_headers: "(request-target) host date digest",
            method: reqwest::Method::POST,
            extra: None,
        }
    }

    /// A POST of `body` to `url`, signed with `node`'s key.
    pub fn by_node(node: &crate::rig::TestNode, url: &str, body: Vec<u8>) -> SignedPost {
        SignedPost::new(
            url,
            body,
            &format!("{}#main-key", node.actor()),
            &node.context.keys().rsa_private,
        )
    }

    /// A signed GET of `url` (authorized fetch).
    pub fn get(url: &str, key_id: &str, key: &RsaPrivateKey) -> SignedPost {
        SignedPost {
            signed_headers: "(request-target) host date",
            method: reqwest::Method::GET,
            ..SignedPost::new(url, Vec::new(), key_id, key)
        }
    }

    /// The request's headers, signed.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let host = format!(
            "{}:{}",
            self.url.host_str().unwrap(),
            self.url.port().unwrap()
        );
        let date = httpdate::fmt_http_date(self.date);
        let digest = format!(
            "SHA-256={}",
            STANDARD.encode(Sha256::digest(
                self.digest_of.as_deref().unwrap_or(&self.body)
            ))
        );
        let values = |name: &str| match name {
            "(request-target)" => format!(
                "{} {}",
                self.method.as_str().to_lowercase(),
                self.url.path()
            ),
            "host" => host.clone(),
            "date" => date.clone(),
            "digest" => digest.clone(),
            other => match &self.extra {
                Some((name, value)) if *name == other => value.clone(),
                _ => panic!("unsupported header {other}"),
            },
        };
        let signing_string = self
            .signed_headers
            .split(' ')
            .map(|name| format!("{name}: {}", values(name)))
            .collect::<Vec<_>>()
            .join("\n");
        let signature = SigningKey::<Sha256>::new(self.key.clone()).sign(signing_string.as_bytes());
        let header = format!(
            "keyId=\"{}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{}\"",
            self.key_id,
            self.signed_headers,
            STANDARD.encode(signature.to_bytes())
        );
        let media = if self.method == reqwest::Method::GET {
            ("accept", "application/activity+json".to_owned())
        } else {
            ("content-type", "application/activity+json".to_owned())
        };
        let mut headers = vec![
            media,
            ("host", host),
            ("date", date),
            ("digest", digest),
            ("signature", header),
        ];
        headers.extend(self.extra.clone());
        headers
    }

    pub async fn send(&self, client: &reqwest::Client) -> reqwest::Response {
        let mut request = client.request(self.method.clone(), self.url.clone());
        for (name, value) in self.headers() {
            request = request.header(name, value);
        }
        request.body(self.body.clone()).send().await.unwrap()
    }

    /// Sends the request whole and, once `until` is done, closes the
    /// connection without reading the answer, as a sender that timed out.
    pub async fn send_and_hang_up(&self, until: impl std::future::Future<Output = ()>) {
        use tokio::io::AsyncWriteExt;
        let mut request = format!("{} {} HTTP/1.1\r\n", self.method, self.url.path());
        for (name, value) in self.headers() {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            self.body.len()
        ));
        let address = format!(
            "{}:{}",
            self.url.host_str().unwrap(),
            self.url.port().unwrap()
        );
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        stream.write_all(&self.body).await.unwrap();
        stream.flush().await.unwrap();
        until.await;
        drop(stream);
    }
}

/// The key an RFC 9421 test request is signed with, and how.
pub enum MessageKey<'a> {
    RsaV15(&'a RsaPrivateKey),
    RsaPss(&'a RsaPrivateKey),
    Ed25519(&'a ed25519_dalek::SigningKey),
}

/// An RFC 9421 signed POST, written for the tests from the RFC (not with
/// the node's code): `components` covered, `created` now.
pub struct MessagePost<'a> {
    pub url: url::Url,
    pub body: Vec<u8>,
    pub key_id: String,
    pub key: MessageKey<'a>,
    pub components: &'static [&'static str],
    /// Digest (and sign) these bytes instead of the body.
    pub digest_of: Option<Vec<u8>>,
}

impl MessagePost<'_> {
    pub async fn send(&self, client: &reqwest::Client) -> reqwest::Response {
        let authority = format!(
            "{}:{}",
            self.url.host_str().unwrap(),
            self.url.port().unwrap()
        );
        let digested = self.digest_of.as_deref().unwrap_or(&self.body);
        let digest = format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(digested)));
        let created = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let alg = match self.key {
            MessageKey::RsaV15(_) => "rsa-v1_5-sha256",
            MessageKey::RsaPss(_) => "rsa-pss-sha512",
            MessageKey::Ed25519(_) => "ed25519",
        };
        let covered: Vec<String> = self.components.iter().map(|c| format!("\"{c}\"")).collect();
        let params = format!(
            "({});created={created};keyid=\"{}\";alg=\"{alg}\"",
            covered.join(" "),
            self.key_id
        );
        let mut base = String::new();
        for component in self.components {
            let value = match *component {
                "@method" => "POST".to_owned(),
                "@target-uri" => self.url.to_string(),
                "@authority" => authority.clone(),
                "@path" => self.url.path().to_owned(),
                "content-digest" => digest.clone(),
                "content-type" => "application/activity+json".to_owned(),
                other => panic!("component {other} not supported by the test signer"),
            };
            base.push_str(&format!("\"{component}\": {value}\n"));
        }
        base.push_str(&format!("\"@signature-params\": {params}"));
        let signature = match self.key {
            MessageKey::RsaV15(key) => SigningKey::<Sha256>::new(key.clone())
                .sign(base.as_bytes())
                .to_vec(),
            MessageKey::RsaPss(key) => {
                use rsa::signature::RandomizedSigner;
                rsa::pss::SigningKey::<sha2::Sha512>::new(key.clone())
                    .sign_with_rng(&mut rand::thread_rng(), base.as_bytes())
                    .to_vec()
            }
            MessageKey::Ed25519(key) => key.sign(base.as_bytes()).to_bytes().to_vec(),
        };
        client
            .post(self.url.clone())
            .header("content-type", "application/activity+json")
            .header("content-digest", digest)
            .header("signature-input", format!("sig1={params}"))
            .header(
                "signature",
                format!("sig1=:{}:", STANDARD.encode(signature)),
            )
            .body(self.body.clone())
            .send()
            .await
            .unwrap()
    }
}
