//! Issue 26: followers_sync (tests to come).
