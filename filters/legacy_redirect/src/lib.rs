//! The `legacy_redirect` filter: see docs/architecture.md ("Roles") for what it acts on.

use kdp_migrate_adapter::{Roles, filters};

kdp_migrate_adapter::filter!(filters::LEGACY_REDIRECT, Roles::LEGACY_REDIRECT);
