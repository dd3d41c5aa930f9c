//! The README's Layout is what the manifests say: each crate depends only
//! on the layers the README lists before it, only the HTTP layer (and the
//! binary's package above it) uses axum, and only the wire layer uses the
//! federation library.

use std::path::Path;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The layers in the order the README's Layout draws them, bottom first:
/// the first word of each line of its first code block.
fn layers_in_readme() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README.md");
    let layout = readme
        .split("\n## Layout\n")
        .nth(1)
        .expect("a Layout section");
    let block = layout.split("```").nth(1).expect("a code block in Layout");
    block
        .lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The names in a manifest's `[dependencies]`.
fn dependencies(manifest: &Path) -> Vec<String> {
    let parsed: Value = Figment::from(Toml::file(manifest))
        .extract()
        .unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    parsed["dependencies"]
        .as_object()
        .map(|deps| deps.keys().cloned().collect())
        .unwrap_or_default()
}

fn manifest_of(layer: &str) -> std::path::PathBuf {
    if layer == "passerelle" {
        Path::new(ROOT).join("Cargo.toml")
    } else {
        Path::new(ROOT)
            .join("crates")
            .join(layer)
            .join("Cargo.toml")
    }
}

#[test]
fn each_crate_depends_only_on_the_layers_below_it() {
    let layers = layers_in_readme();
    assert_eq!(layers.first().map(String::as_str), Some("model"));
    assert_eq!(layers.last().map(String::as_str), Some("passerelle"));
    let on_disk = std::fs::read_dir(Path::new(ROOT).join("crates"))
        .expect("crates/")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !layers.contains(name))
        .collect::<Vec<_>>();
    assert!(
        on_disk.is_empty(),
        "crates the README does not draw: {on_disk:?}"
    );
    for (position, layer) in layers.iter().enumerate() {
        let below = &layers[..position];
        for dependency in dependencies(&manifest_of(layer)) {
            let Some(used) = dependency.strip_prefix("passerelle-") else {
                continue;
            };
            assert!(
                below.iter().any(|b| b == used),
                "{layer} depends on {used}, which the README does not draw below it"
            );
        }
    }
}

#[test]
fn only_http_uses_axum_and_only_apub_the_federation_library() {
    for layer in layers_in_readme() {
        let dependencies = dependencies(&manifest_of(&layer));
        let uses = |name: &str| dependencies.iter().any(|d| d == name);
        if !matches!(layer.as_str(), "http" | "passerelle") {
            assert!(!uses("axum"), "{layer} depends on axum");
        }
        if layer != "apub" {
            assert!(
                !uses("activitypub_federation"),
                "{layer} depends on activitypub_federation"
            );
        }
    }
}

/// Every Rust source file under `dir`, with its text.
fn sources(dir: &Path, found: &mut Vec<(std::path::PathBuf, String)>) {
    for entry in std::fs::read_dir(dir)
        .expect("a source directory")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("a source file");
            found.push((path, text));
        }
    }
}

/// Every RSA signature the node makes goes through AWS-LC
/// (`NodeKeys::rsa_sign`): the federation library is used for its wire
/// types only, never for a request it would sign itself with the `rsa`
/// crate, and no product code signs with that crate.
#[test]
fn every_signature_is_made_through_aws_lc() {
    let mut files = Vec::new();
    sources(&Path::new(ROOT).join("src"), &mut files);
    sources(&Path::new(ROOT).join("crates"), &mut files);
    let signing_elsewhere = [
        "pkcs1v15::SigningKey",
        "activitypub_federation::fetch::object_id",
        "activitypub_federation::fetch::collection_id",
        "activitypub_federation::fetch::fetch_object_http",
        "activitypub_federation::activity_sending",
        "activitypub_federation::activity_queue",
        "activitypub_federation::http_signatures",
        "activitypub_federation::config",
    ];
    let mut found = Vec::new();
    for (path, text) in &files {
        // Unit tests may compare against the `rsa` crate's signatures.
        let product = text.split("#[cfg(test)]").next().unwrap_or_default();
        for pattern in signing_elsewhere {
            if product.contains(pattern) {
                found.push(format!("{}: {pattern}", path.display()));
            }
        }
    }
    assert!(files.len() > 100, "{} source files", files.len());
    assert!(found.is_empty(), "signing outside AWS-LC: {found:#?}");
}
