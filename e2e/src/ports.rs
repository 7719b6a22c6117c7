//! Loopback ports for the processes a test starts.

use crate::error::{Context, Result};
use std::net::TcpListener;

/// A port that was free on 127.0.0.1 a moment ago (another process may take it before it is used; callers that
/// start a gateway retry on "address already in use").
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("binding 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
