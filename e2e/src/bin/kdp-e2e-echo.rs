//! The e2e echo upstream as a process, for the Envoy side-by-side benchmark:
//! `kdp-e2e-echo [PORT]` listens on 127.0.0.1:PORT (0 or none: a free port), prints `listening 127.0.0.1:<port>`
//! and serves until it is killed. It records nothing, so it does not grow under load.

use kdp_migrate_e2e::echo::EchoServer;
use std::io::Write;

fn main() -> std::process::ExitCode {
    let port = match std::env::args().nth(1).map(|p| p.parse::<u16>()) {
        None => 0,
        Some(Ok(port)) => port,
        Some(Err(e)) => {
            eprintln!("kdp-e2e-echo: bad port: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let server = match EchoServer::start(port, false) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("kdp-e2e-echo: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening 127.0.0.1:{}", server.port());
    let _ = out.flush();
    loop {
        std::thread::park();
    }
}
