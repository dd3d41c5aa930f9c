//! Loading and validating settings, from TOML the way operators write it.

use figment::providers::Env;
use url::Url;

use crate::{ConfigError, Settings};

#[test]
fn the_example_file_states_the_defaults() {
    let example = load_toml(include_str!("../../../passerelle.example.toml")).expect("loads");
    assert_eq!(example, Settings::default());
}

#[test]
fn short_metrics_token_and_bad_rules_are_named() {
    let error = load_toml("[metrics]\ntoken = \"short\"\n").unwrap_err();
    assert!(error.to_string().contains("metrics.token"), "{error}");
    assert!(load_toml("[federation]\nblocklist = [\"*.example.org\"]\n").is_ok());
    let error = load_toml("[federation]\nblocklist = [\"https://x.org\"]\n").unwrap_err();
    assert!(error.to_string().contains("blocklist"), "{error}");
}

#[test]
fn the_retention_check_is_at_least_a_second() {
    let error = load_toml("[federation]\nretention_check_every = \"0s\"\n").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("federation.retention_check_every"),
        "{error}"
    );
    assert!(load_toml("[federation]\nretention_check_every = \"1s\"\n").is_ok());
}

#[test]
fn the_window_per_peer_is_between_1_and_64() {
    for refused in ["0", "65"] {
        let error = load_toml(&format!("[delivery]\nin_flight = {refused}\n")).unwrap_err();
        assert!(error.to_string().contains("delivery.in_flight"), "{error}");
    }
    for accepted in [1, 64] {
        let settings = load_toml(&format!("[delivery]\nin_flight = {accepted}\n")).expect("loads");
        assert_eq!(settings.delivery.in_flight, accepted);
    }
}

#[test]
fn dfc_sources_are_read_and_checked() {
    let settings = load_toml(
        "[[dfc.sources]]\ncatalog_url = \"https://ofn.example/api/dfc/enterprises/4/catalog_items\"\n\
         api_token_env = \"OFN_KEY\"\ninterval = \"15m\"\n",
    )
    .expect("loads");
    let source = &settings.dfc.sources[0];
    assert_eq!(source.api_token_env.as_deref(), Some("OFN_KEY"));
    assert_eq!(source.interval, std::time::Duration::from_secs(900));
    let both = "[[dfc.sources]]\ncatalog_url = \"https://ofn.example/c\"\napi_token = \"k\"\n\
                api_token_env = \"K\"\n";
    let error = load_toml(both).unwrap_err();
    assert!(
        error.to_string().contains("dfc.sources.api_token"),
        "{error}"
    );
    let error = load_toml("[[dfc.sources]]\ncatalog_url = \"ftp://x.org/c\"\n").unwrap_err();
    assert!(error.to_string().contains("catalog_url"), "{error}");
    let twice = "[[dfc.sources]]\ncatalog_url = \"https://ofn.example/c\"\n\
                 [[dfc.sources]]\ncatalog_url = \"https://ofn.example/c\"\n";
    let error = load_toml(twice).unwrap_err();
    assert!(error.to_string().contains("listed twice"), "{error}");
}

fn load_toml(text: &str) -> Result<Settings, ConfigError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("p.toml");
    std::fs::write(&path, text).expect("write");
    Settings::load_from(
        Some(&path),
        Env::prefixed("PASSERELLE_UNIT_TEST_NEVER_SET_"),
    )
}

#[test]
fn defaults_are_valid() {
    let settings = load_toml("").expect("defaults load");
    assert_eq!(settings, Settings::default());
}

#[test]
fn nested_keys_are_read() {
    let settings = load_toml("[platform]\nslug = \"ofn\"\nname = \"OFN\"\n").expect("load");
    assert_eq!(settings.platform.slug, "ofn");
    assert_eq!(settings.platform.name, "OFN");
}

#[test]
fn unknown_key_is_named() {
    let err = load_toml("[platform]\nslugg = \"x\"\n").expect_err("must fail");
    assert!(err.to_string().contains("slugg"), "{err}");
}

#[test]
fn malformed_url_is_named() {
    let err = load_toml("public_url = \"not a url\"\n").expect_err("must fail");
    assert!(err.to_string().contains("public_url"), "{err}");
}

#[test]
fn public_url_with_path_is_refused() {
    let err = load_toml("public_url = \"https://x.example/sub\"\n").expect_err("must fail");
    assert!(err.to_string().contains("public_url"), "{err}");
}

#[test]
fn bad_slug_and_database_are_named() {
    let err = load_toml("[platform]\nslug = \"Not Valid\"\n").expect_err("must fail");
    assert!(err.to_string().contains("platform.slug"), "{err}");
    let err = load_toml("database_url = \"mysql://x\"\n").expect_err("must fail");
    assert!(err.to_string().contains("database_url"), "{err}");
}

#[test]
fn public_host_keeps_port() {
    let mut settings = Settings::default();
    assert_eq!(settings.public_host(), "127.0.0.1:8080");
    settings.public_url = Url::parse("https://node.example.org").expect("url");
    assert_eq!(settings.public_host(), "node.example.org");
}

#[test]
fn each_setting_says_where_its_value_came_from() {
    use crate::Source;
    let settings = load_toml(
        "database_url = \"postgres://passerelle:hunter2@db/passerelle\"\n\
         [federation]\nadmission = \"open\"\nblocklist = [\"spam.example\"]\n\
         [metrics]\ntoken = \"a-metrics-token-long-enough\"\n",
    )
    .expect("loads");
    let entries = settings.entries();
    let entry = |key: &str| {
        entries
            .iter()
            .find(|e| e.key == key)
            .unwrap_or_else(|| panic!("{key}"))
            .clone()
    };
    let admission = entry("federation.admission");
    assert_eq!(admission.value.as_deref(), Some("open"));
    assert!(matches!(admission.source, Source::File(ref path) if path.ends_with("p.toml")));
    assert_eq!(
        entry("federation.blocklist").value.as_deref(),
        Some("spam.example")
    );
    assert_eq!(entry("platform.slug").source, Source::Default);
    assert_eq!(
        entry("rate_limits.api_per_token.burst").value.as_deref(),
        Some("2000")
    );
    assert_eq!(entry("http.client_address_header").value, None);
    // Secrets never show: the database password, the metrics token.
    let database = entry("database_url");
    assert!(database.masked);
    assert_eq!(
        database.value.as_deref(),
        Some("postgres://passerelle:••••••••@db/passerelle")
    );
    assert_eq!(entry("metrics.token").value.as_deref(), Some("••••••••"));
    let all = format!("{entries:?}");
    assert!(
        !all.contains("hunter2") && !all.contains("long-enough"),
        "{all}"
    );
    // Sources do not change what the settings are.
    assert_eq!(load_toml("").expect("loads"), Settings::default());
}

#[test]
fn the_environment_wins_and_is_named() {
    use crate::{Source, Sources};
    let mut settings = Settings::default();
    settings.sources = Sources::record(
        &settings,
        |key| key == "platform.slug",
        |key| key.starts_with("platform."),
        Some(std::path::Path::new("/etc/passerelle/passerelle.toml")),
    );
    assert_eq!(
        settings.sources.of("platform.slug"),
        Source::Environment("PASSERELLE_PLATFORM__SLUG".into())
    );
    assert_eq!(
        settings.sources.of("platform.name"),
        Source::File("/etc/passerelle/passerelle.toml".into())
    );
    assert_eq!(settings.sources.of("listen"), Source::Default);
}

#[test]
fn secrets_in_dfc_sources_are_masked() {
    let settings = load_toml(
        "[[dfc.sources]]\ncatalog_url = \"https://ofn.example/c\"\napi_token = \"sekret-key\"\n",
    )
    .expect("loads");
    let sources = settings
        .entries()
        .into_iter()
        .find(|e| e.key == "dfc.sources")
        .expect("dfc.sources");
    let value = sources.value.unwrap_or_default();
    assert!(sources.masked);
    assert!(
        value.contains("https://ofn.example/c") && !value.contains("sekret"),
        "{value}"
    );
}

#[test]
fn values_set_in_code_are_not_called_defaults() {
    let mut settings = Settings::default();
    settings.platform.slug = "demo".into();
    let entries = settings.entries();
    let source = |key: &str| {
        entries
            .iter()
            .find(|e| e.key == key)
            .unwrap()
            .source
            .clone()
    };
    assert_eq!(source("platform.slug"), crate::Source::Program);
    assert_eq!(source("platform.name"), crate::Source::Default);
}

#[test]
fn the_console_time_zone_is_an_iana_name() {
    let settings = load_toml("[console]\ntime_zone = \"Europe/Paris\"\n").expect("Paris");
    assert_eq!(settings.console.time_zone, "Europe/Paris");
    let error = load_toml("[console]\ntime_zone = \"Mars/Olympus\"\n").unwrap_err();
    assert!(error.to_string().contains("console.time_zone"), "{error}");
}

#[test]
fn text_is_read_as_a_file_is_without_the_environment() {
    let settings = Settings::from_toml("[platform]\nslug = \"ofn\"\n").expect("loads");
    assert_eq!(settings.platform.slug, "ofn");
    let err = Settings::from_toml("[delivery]\nin_flightt = 3\n").expect_err("unknown key");
    assert!(err.to_string().contains("in_flightt"), "{err}");
}
