//! The `host_rewrite` filter: see docs/architecture.md ("Roles") for what it acts on.

use kdp_migrate_adapter::{Roles, filters};

kdp_migrate_adapter::filter!(filters::HOST_REWRITE, Roles::HOST_REWRITE);
