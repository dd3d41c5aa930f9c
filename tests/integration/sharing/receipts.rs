//! Issue 26: receipts (tests to come).
