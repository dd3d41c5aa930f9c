//! `Update`: an object's content changed; the activity carries it whole.

pub const TYPE: &str = "Update";
