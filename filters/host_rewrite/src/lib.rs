//! The `host_rewrite` filter: see docs/architecture.md ("Roles") for what it acts on.

use kdp_migrate_adapter::Roles;

kdp_migrate_adapter::filter!("host_rewrite", Roles::HOST_REWRITE);
