//! `Update`: an object's content changed; the activity carries it whole.

use crate::model::ActivityKind;

pub const TYPE: ActivityKind = ActivityKind::Update;
