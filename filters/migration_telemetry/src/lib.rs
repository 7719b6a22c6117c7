//! The `migration_telemetry` filter: see docs/architecture.md ("Roles") for what it acts on.

use kdp_migrate_adapter::{Roles, filters};

kdp_migrate_adapter::filter!(filters::MIGRATION_TELEMETRY, Roles::TELEMETRY);
