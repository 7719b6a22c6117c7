//! The `short_domain_router` filter: see docs/architecture.md ("Roles") for what it acts on.

use kdp_migrate_adapter::Roles;

kdp_migrate_adapter::filter!("short_domain_router", Roles::ROUTER);
