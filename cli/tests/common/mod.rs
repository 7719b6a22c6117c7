//! Shared by the CLI's integration tests: the workspace's files and the built filters, refused
//! when older than their sources.

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(dead_code)]
// each test binary uses its own subset

pub mod proof;

use std::path::PathBuf;

use kdp_migrate_core::filters::SHIPPED;
use kdp_migrate_host_test::artifacts::{self, test_filters_dir};

pub use kdp_migrate_host_test::artifacts::workspace;

pub const SHORT: &str = "dev-01.aliyun.cloud.cn.aibang";
pub const API01_LONG: &str = "api01.target-team2.dev.aliyun.cloud.cn.aibang";
pub const API02_LONG: &str = "api02.target-team2.dev.aliyun.cloud.cn.aibang";

/// The shipped filters' folder, after checking every filter in it is built and fresh.
pub fn filters_dir() -> PathBuf {
    let dir = artifacts::filters_dir();
    for name in SHIPPED {
        artifacts::fresh_wasm(&dir, name).unwrap_or_else(|error| panic!("{error}"));
    }
    dir
}

/// The test-only filters' folder, checked the same way.
pub fn trap_filters_dir() -> PathBuf {
    let dir = test_filters_dir();
    artifacts::fresh_wasm(&dir, "test_trap").unwrap_or_else(|error| panic!("{error}"));
    dir
}
