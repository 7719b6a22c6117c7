//! The `kdp-migrate` command and what it is built from: [`commands`] (one module per
//! subcommand), [`replay`] (recorded requests through the real filters on
//! [`kdp_migrate_host_test`]), [`traffic`] (readers for Kong logs, HAR, JSONL), [`kong`] (Kong's
//! declarative configuration and router), [`map_document`] (the migration map as a file), and
//! [`yaml`] (YAML and JSON documents in and out).
//!
//! This is the product crate: it depends on the host library and the core, never the reverse.

pub mod commands;
pub mod kong;
pub mod map_document;
pub mod replay;
pub mod report;
pub mod traffic;
pub mod yaml;
