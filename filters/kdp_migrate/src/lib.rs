//! The `kdp_migrate` filter: see docs/architecture.md ("Roles") for what it acts on.

use kdp_migrate_adapter::Roles;

kdp_migrate_adapter::filter!("kdp_migrate", Roles::ALL);
