//! The `short_domain_router` filter: see docs/architecture.md ("Roles") for what it acts on.

use kdp_migrate_adapter::{Roles, filters};

kdp_migrate_adapter::filter!(filters::SHORT_DOMAIN_ROUTER, Roles::ROUTER);
