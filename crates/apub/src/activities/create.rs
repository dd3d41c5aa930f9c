//! `Create`: the first publication of an object.

use crate::model::ActivityKind;

pub const TYPE: ActivityKind = ActivityKind::Create;
