//! Issue 26: terms (tests to come).
