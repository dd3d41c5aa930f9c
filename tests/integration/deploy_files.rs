//! The deployment files in `deploy/` are checked, not just shipped: each is
//! parsed, every `PASSERELLE_*` variable and TOML key it passes goes through
//! the settings' own rules (`deny_unknown_fields`, then `validate`), probes
//! point to `/readyz` and `/healthz`, ports match `listen`, and the pieces
//! name each other (compose services, Caddy's upstream, Kubernetes
//! selectors, the ConfigMap mounted where `--config` reads it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use passerelle::config::Settings;
use serde_yaml_ng::Value;

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub(crate) fn yaml_documents(path: &str) -> Vec<Value> {
    let text = read(path);
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|document| {
            Value::deserialize(document).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
        })
        .collect()
}

use serde::Deserialize;

/// Settings as the node would read them: defaults, then `toml` (a file's
/// text), then the variables as `Env::prefixed("PASSERELLE_").split("__")`
/// reads them (key lowercased, `__` a level, value parsed the same way),
/// then `validate`. An unknown key or variable is an error here as at start.
pub fn settings_from(
    toml: Option<&str>,
    env: &BTreeMap<String, String>,
) -> Result<Settings, String> {
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    if let Some(toml) = toml {
        figment = figment.merge(Toml::string(toml));
    }
    for (name, value) in env {
        let key = name
            .strip_prefix("PASSERELLE_")
            .unwrap_or_else(|| panic!("{name} is not a PASSERELLE_ variable"))
            .to_lowercase()
            .replace("__", ".");
        let value: figment::value::Value = value.parse().expect("infallible");
        figment = figment.merge(Serialized::default(&key, value));
    }
    let settings: Settings = figment.extract().map_err(|e| e.to_string())?;
    settings.validate().map_err(|e| e.to_string())?;
    Ok(settings)
}

/// Compose's `${NAME:-default}` becomes its default, `${NAME}` a value
/// that passes as a host name.
fn interpolate(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closing brace") + start;
        let inner = &rest[start + 2..end];
        match inner.split_once(":-") {
            Some((_, default)) => out.push_str(default),
            None => out.push_str("node.example.org"),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The environment compose gives a service, with `${NAME:-default}` at
/// its default.
pub(crate) fn compose_environment(service: &Value) -> Vec<(String, String)> {
    service["environment"]
        .as_mapping()
        .expect("environment")
        .iter()
        .map(|(k, v)| {
            let value = v.as_str().expect("string value");
            (k.as_str().expect("name").to_owned(), interpolate(value))
        })
        .collect()
}

pub(crate) fn str_of<'a>(value: &'a Value, pointer: &[&str]) -> &'a str {
    let mut at = value;
    for key in pointer {
        at = &at[*key];
    }
    at.as_str()
        .unwrap_or_else(|| panic!("no string at {pointer:?}"))
}

#[test]
fn the_loader_used_here_refuses_unknown_settings() {
    // The check below is only worth something if a misspelt setting fails.
    let mut env = BTreeMap::new();
    env.insert("PASSERELLE_PLATFORM__SLUGG".to_owned(), "x".to_owned());
    let error = settings_from(None, &env).unwrap_err();
    assert!(error.contains("slugg"), "{error}");
    let error = settings_from(Some("[log]\nformatt = \"json\"\n"), &BTreeMap::new()).unwrap_err();
    assert!(error.contains("formatt"), "{error}");
    let error = settings_from(Some("listen = \"nowhere\"\n"), &BTreeMap::new()).unwrap_err();
    assert!(error.contains("listen"), "{error}");
    // And the shipped example is a valid settings file.
    settings_from(Some(&read("passerelle.example.toml")), &BTreeMap::new()).unwrap();
}

#[test]
fn compose_replicas_sit_behind_caddy_and_wait_for_postgres() {
    let compose = &yaml_documents("deploy/compose.yaml")[0];
    let services = compose["services"].as_mapping().expect("services");
    let names: Vec<&str> = services.keys().filter_map(Value::as_str).collect();
    assert_eq!(names, ["postgres", "passerelle", "caddy"]);

    let node = &compose["services"]["passerelle"];
    assert_eq!(
        str_of(node, &["depends_on", "postgres", "condition"]),
        "service_healthy"
    );
    assert_eq!(node["deploy"]["replicas"].as_u64(), Some(2));
    let env: BTreeMap<String, String> = compose_environment(node).into_iter().collect();
    let settings = settings_from(None, &env).unwrap_or_else(|e| panic!("compose: {e}"));
    assert_eq!(
        settings.public_url.scheme(),
        "https",
        "Caddy terminates TLS"
    );
    assert_eq!(
        settings.database_kind().unwrap(),
        passerelle::config::DatabaseKind::Postgres
    );
    let db = url::Url::parse(&settings.database_url).unwrap();
    assert_eq!(db.host_str(), Some("postgres"), "the compose service");
    let postgres = &compose["services"]["postgres"];
    assert_eq!(
        db.username(),
        str_of(postgres, &["environment", "POSTGRES_USER"])
    );
    assert_eq!(
        db.path(),
        format!("/{}", str_of(postgres, &["environment", "POSTGRES_DB"]))
    );
    let port = settings.listen.port();
    assert!(
        !settings.listen.ip().is_loopback(),
        "other containers reach it"
    );
    assert_eq!(node["expose"][0].as_str(), Some(port.to_string().as_str()));
    assert_eq!(
        settings.http.client_address_header.as_deref(),
        Some("X-Forwarded-For"),
        "Caddy's header, for the per-address limits"
    );
    assert!(node.get("ports").is_none(), "only Caddy is published");

    let caddy = &compose["services"]["caddy"];
    let published: Vec<&str> = caddy["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(published, ["80:80", "443:443"]);
    assert!(
        caddy["depends_on"]
            .as_sequence()
            .unwrap()
            .iter()
            .any(|s| s == "passerelle")
    );
    let mounted = caddy["volumes"][0].as_str().unwrap();
    let (source, target) = mounted.split_once(':').unwrap();
    assert_eq!(target, "/etc/caddy/Caddyfile:ro");
    let caddyfile = read(&format!("deploy/{}", source.trim_start_matches("./")));
    // The site is the domain the node's public URL names, and the upstream
    // is every replica of the `passerelle` service on the `listen` port.
    assert!(caddyfile.contains("{$PASSERELLE_DOMAIN} {"), "{caddyfile}");
    assert!(env["PASSERELLE_PUBLIC_URL"].starts_with("https://"));
    assert!(
        read("deploy/compose.yaml").contains("PASSERELLE_PUBLIC_URL: https://${PASSERELLE_DOMAIN")
    );
    assert!(
        caddyfile.contains(&format!("dynamic a passerelle {port}")),
        "{caddyfile}"
    );
    assert!(caddyfile.contains("lb_policy round_robin"));
    // /metrics is not served to the internet: Caddy answers it itself,
    // before any `reverse_proxy` (Caddy orders `respond` first).
    let lines: Vec<&str> = caddyfile.lines().map(str::trim).collect();
    let matcher = lines
        .iter()
        .position(|l| *l == "@metrics path /metrics /metrics/*")
        .expect("a /metrics matcher in the Caddyfile");
    assert_eq!(lines[matcher + 1], "respond @metrics 404", "{caddyfile}");
    assert_eq!(
        caddyfile.matches('{').count(),
        caddyfile.matches('}').count(),
        "balanced Caddyfile blocks"
    );
}

#[test]
fn kubernetes_set_probes_ports_settings_and_selectors_agree() {
    let mut by_kind: BTreeMap<String, Value> = BTreeMap::new();
    for file in ["configmap", "deployment", "service", "pdb"] {
        for document in yaml_documents(&format!("deploy/kubernetes/{file}.yaml")) {
            let kind = str_of(&document, &["kind"]).to_owned();
            assert!(
                document["apiVersion"].as_str().is_some(),
                "{kind}: apiVersion"
            );
            assert_eq!(str_of(&document, &["metadata", "name"]), "passerelle");
            by_kind.insert(kind, document);
        }
    }
    let kinds: Vec<&str> = by_kind.keys().map(String::as_str).collect();
    assert_eq!(
        kinds,
        ["ConfigMap", "Deployment", "PodDisruptionBudget", "Service"]
    );
    let deployment = &by_kind["Deployment"];
    let pod = &deployment["spec"]["template"];
    let labels = &pod["metadata"]["labels"];
    assert_eq!(&deployment["spec"]["selector"]["matchLabels"], labels);
    let container = &pod["spec"]["containers"][0];

    // The ConfigMap is mounted where `--config` reads it, and its TOML plus
    // the container's variables are valid settings.
    let args: Vec<&str> = container["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(args[0], "--config");
    assert_eq!(args.last(), Some(&"serve"));
    let config_path = Path::new(args[1]);
    let mount = &container["volumeMounts"][0];
    assert_eq!(
        config_path.parent().unwrap().to_str(),
        mount["mountPath"].as_str()
    );
    let volume = &pod["spec"]["volumes"][0];
    assert_eq!(volume["name"], mount["name"]);
    assert_eq!(str_of(volume, &["configMap", "name"]), "passerelle");
    let file_name = config_path.file_name().unwrap().to_str().unwrap();
    let toml = str_of(&by_kind["ConfigMap"], &["data", file_name]);
    let mut env = BTreeMap::new();
    for variable in container["env"].as_sequence().unwrap() {
        let name = str_of(variable, &["name"]).to_owned();
        let value = match variable["value"].as_str() {
            Some(value) => value.to_owned(),
            None => {
                // A Secret reference: the database URL or the metrics
                // token, never in the set.
                let secret = &variable["valueFrom"]["secretKeyRef"];
                assert_eq!(str_of(secret, &["name"]), "passerelle");
                match str_of(secret, &["key"]) {
                    "database_url" => {
                        "postgres://passerelle@db.example.org:5432/passerelle".to_owned()
                    }
                    "metrics_token" => "0123456789abcdef0123456789abcdef".to_owned(),
                    other => panic!("unexpected secret key {other}"),
                }
            }
        };
        env.insert(name, value);
    }
    assert!(env.contains_key("PASSERELLE_DATABASE_URL"));
    let settings =
        settings_from(Some(toml), &env).unwrap_or_else(|e| panic!("kubernetes settings: {e}"));
    let port = settings.listen.port();
    assert!(!settings.listen.ip().is_loopback());
    // Reachable through any Ingress, /metrics needs the Secret's token.
    assert!(
        settings.metrics.token.is_some(),
        "PASSERELLE_METRICS__TOKEN from the Secret"
    );
    assert_eq!(
        container["ports"][0]["containerPort"].as_u64(),
        Some(u64::from(port))
    );

    // Probes: liveness on /healthz, readiness on /readyz, on that port.
    for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        assert_eq!(str_of(container, &[probe, "httpGet", "path"]), path);
        assert_eq!(
            container[probe]["httpGet"]["port"].as_u64(),
            Some(u64::from(port)),
            "{probe}"
        );
    }
    // Rolling one replica at a time, never below the replica count.
    assert_eq!(
        deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"].as_u64(),
        Some(0)
    );

    let service = &by_kind["Service"];
    assert_eq!(&service["spec"]["selector"], labels);
    assert_eq!(
        service["spec"]["ports"][0]["targetPort"].as_u64(),
        Some(u64::from(port))
    );

    let pdb = &by_kind["PodDisruptionBudget"];
    assert_eq!(str_of(pdb, &["apiVersion"]), "policy/v1");
    assert_eq!(&pdb["spec"]["selector"]["matchLabels"], labels);
    let replicas = deployment["spec"]["replicas"].as_u64().unwrap();
    let min_available = pdb["spec"]["minAvailable"].as_u64().unwrap();
    assert!(
        (1..replicas).contains(&min_available),
        "a drain can evict one replica and keeps one serving"
    );
}

#[test]
fn systemd_unit_and_container_pass_known_settings() {
    let unit = read("deploy/systemd/passerelle.service");
    let mut sections: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut current = String::new();
    for line in unit.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.to_owned();
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("{line}"));
        sections
            .entry(current.clone())
            .or_default()
            .push((key.to_owned(), value.to_owned()));
    }
    let kinds: Vec<&str> = sections.keys().map(String::as_str).collect();
    assert_eq!(kinds, ["Install", "Service", "Unit"]);
    let service = &sections["Service"];
    let value = |key: &str| {
        service
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {key}="))
    };
    let exec: Vec<&str> = value("ExecStart").split_whitespace().collect();
    assert_eq!(
        exec,
        [
            "/usr/local/bin/passerelle",
            "--config",
            "%d/passerelle.toml",
            "serve"
        ]
    );
    // The dynamic user reads root's settings through the credential.
    assert_eq!(
        value("LoadCredential"),
        "passerelle.toml:/etc/passerelle/passerelle.toml"
    );
    assert_eq!(value("DynamicUser"), "yes");
    assert_eq!(value("KillSignal"), "SIGTERM", "the node's graceful stop");
    let mut env = BTreeMap::new();
    for (_, assignment) in service.iter().filter(|(k, _)| k == "Environment") {
        let (name, value) = assignment.split_once('=').unwrap();
        env.insert(name.to_owned(), value.to_owned());
    }
    assert!(!env.is_empty());
    // The unit runs the example settings file installed as its --config.
    let settings = settings_from(Some(&read("passerelle.example.toml")), &env)
        .unwrap_or_else(|e| panic!("systemd unit: {e}"));
    // Without a metrics token, the node answers on loopback only: /metrics
    // is not public unless a proxy is told to forward it.
    assert!(
        settings.listen.ip().is_loopback() || settings.metrics.token.is_some(),
        "systemd: /metrics would be public"
    );

    // The container image's defaults, as `ENV NAME=value \` lines.
    let containerfile = read("deploy/Containerfile");
    let mut env = BTreeMap::new();
    for word in containerfile.split_whitespace() {
        if let Some((name, value)) = word.split_once('=')
            && name.starts_with("PASSERELLE_")
        {
            env.insert(name.to_owned(), value.to_owned());
        }
    }
    assert_eq!(env.len(), 2, "{env:?}");
    let settings = settings_from(None, &env).unwrap_or_else(|e| panic!("Containerfile: {e}"));
    assert!(containerfile.contains(&format!("EXPOSE {}", settings.listen.port())));
    // Kubernetes' runAsNonRoot needs the image's user by number, and the
    // Deployment runs as that same user.
    let user = containerfile
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    let (uid, gid) = user.trim().split_once(':').expect("USER uid:gid");
    assert!(uid.parse::<u32>().is_ok_and(|n| n > 0), "USER {user}");
    let deployment = yaml_documents("deploy/kubernetes/deployment.yaml").remove(0);
    let pod = &deployment["spec"]["template"]["spec"]["securityContext"];
    assert_eq!(pod["runAsNonRoot"], Value::Bool(true));
    assert_eq!(
        pod["runAsUser"].as_u64().map(|n| n.to_string()).as_deref(),
        Some(uid)
    );
    assert_eq!(
        pod["runAsGroup"].as_u64().map(|n| n.to_string()).as_deref(),
        Some(gid)
    );
}
