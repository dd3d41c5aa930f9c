//! What a peer POSTs to the inbox: any bytes, read as JSON, then classified
//! as one of the activities the inbox accepts. Reading must fail cleanly,
//! never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passerelle::apub::activities::inbox::Inbound;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Ok(activity) = Inbound::classify(&value) {
        // Debug walks every field the classification read.
        let _ = format!("{activity:?}");
    }
});
