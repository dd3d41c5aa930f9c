//! Issue 26: scopes (tests to come).
