//! The `legacy_redirect` filter: see docs/architecture.md ("Roles") for what it acts on.

use kdp_migrate_adapter::Roles;

kdp_migrate_adapter::filter!("legacy_redirect", Roles::LEGACY_REDIRECT);
