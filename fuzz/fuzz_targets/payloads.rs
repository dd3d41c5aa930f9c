//! The platform API's payloads: any JSON document checked against each of
//! the four JSON Schemas (offer, member, charter, commitment) and, when the
//! schema accepts it, read into the typed payload. A document the schema
//! accepts but the type refuses comes back as a 422, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passerelle::model::kinds::ObjectKind;
use passerelle::domain::validation::validate;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(document) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for kind in ObjectKind::ALL {
        if let Ok(payload) = validate(kind, &document) {
            let _ = payload.audience();
        }
    }
});
