//! The `resource` query parameter of `/.well-known/webfinger`
//! (`domain::discovery::resolve_webfinger_resource`): `acct:user@host`, an
//! actor URL, or anything else, which must be refused without a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use passerelle::Settings;
use passerelle::domain::discovery::resolve_webfinger_resource;

fn settings() -> &'static Settings {
    static SETTINGS: OnceLock<Settings> = OnceLock::new();
    SETTINGS.get_or_init(|| {
        let mut settings = Settings::default();
        settings.platform.slug = "ofn".to_owned();
        settings
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(resource) = std::str::from_utf8(data) else {
        return;
    };
    let _ = resolve_webfinger_resource(settings(), resource);
});
