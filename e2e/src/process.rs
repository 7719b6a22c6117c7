//! Starting the gateways the tests run, so that they never outlive the test.

use std::path::Path;
use std::process::Command;

/// The command for `bin`, under `setpriv --pdeathsig KILL` when it exists (Linux, util-linux): the process is
/// then killed by the kernel if the test process dies outright (a timeout), when no `Drop` runs.
pub fn command(bin: &Path) -> Command {
    let setpriv = Path::new("/usr/bin/setpriv");
    if setpriv.is_file() {
        let mut command = Command::new(setpriv);
        command.args(["--pdeathsig", "KILL", "--"]).arg(bin);
        command
    } else {
        Command::new(bin)
    }
}
