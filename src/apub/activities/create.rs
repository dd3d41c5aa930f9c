//! `Create`: the first publication of an object.

pub const TYPE: &str = "Create";
