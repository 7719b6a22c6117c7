//! Route paths of a `_format_version` 1.1/2.1 file, migrated to 3.0 as Kong migrates them on load
//! (`kong/db/declarative/migrations/route_path.lua:40-59`, `kong/db/migrations/migrate_path_280_300.lua`;
//! notes §4.2): only `routes[].paths` and `services[].routes[].paths` change.
//!
//! - A path made only of `[a-zA-Z0-9.\-_~/%]` stays a prefix path, normalised by Kong
//!   (`normalize(path, true)`: unreserved `%XX` decoded, dot segments and `//` removed). A path
//!   that would change that way is kept and reported: a 3.0 file must hold it normalised, and a
//!   wrong guess would change what the route matches.
//! - Any other path becomes a regex, `"~" .. normalize_regex(path)`: `%XX` of a reserved
//!   character stays encoded (upper-cased), of a regex metacharacter is decoded escaped, of
//!   anything else decoded.

use serde_json::{Map, Value};

/// One path the migration looked at and changed, or could not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathMigration {
    /// JSON pointer of the path in the file.
    pub pointer: String,
    /// The path as written.
    pub from: String,
    /// The 3.0 path, or `None` when it was kept as written for a human to normalise.
    pub to: Option<String>,
}

/// Migrates every route path in `document`; returns what changed or needs a human.
pub(super) fn migrate(document: &mut Map<String, Value>) -> Vec<PathMigration> {
    let mut migrations = Vec::new();
    if let Some(Value::Array(routes)) = document.get_mut("routes") {
        migrate_routes(routes, "/routes", &mut migrations);
    }
    if let Some(Value::Array(services)) = document.get_mut("services") {
        for (index, service) in services.iter_mut().enumerate() {
            if let Some(Value::Array(routes)) = service.get_mut("routes") {
                migrate_routes(
                    routes,
                    &format!("/services/{index}/routes"),
                    &mut migrations,
                );
            }
        }
    }
    migrations
}

fn migrate_routes(routes: &mut [Value], base: &str, migrations: &mut Vec<PathMigration>) {
    for (index, route) in routes.iter_mut().enumerate() {
        let Some(Value::Array(paths)) = route.get_mut("paths") else {
            continue;
        };
        for (position, path) in paths.iter_mut().enumerate() {
            let Value::String(text) = path else { continue };
            let pointer = format!("{base}/{index}/paths/{position}");
            if is_prefix_path(text) {
                if needs_normalising(text) {
                    migrations.push(PathMigration {
                        pointer,
                        from: text.clone(),
                        to: None,
                    });
                }
            } else {
                let migrated = format!("~{}", normalize_regex(text));
                migrations.push(PathMigration {
                    pointer,
                    from: std::mem::replace(text, migrated.clone()),
                    to: Some(migrated),
                });
            }
        }
    }
}

/// `migrate_path_280_300.lua:73-75`: the whole path is `[a-zA-Z0-9.\-_~/%]*`.
fn is_prefix_path(path: &str) -> bool {
    path.bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || b".-_~/%".contains(&byte))
}

/// Whether Kong's `normalize(path, true)` would change it (`kong/tools/uri.lua:78-167`).
fn needs_normalising(path: &str) -> bool {
    path.contains('%')
        || path.contains("//")
        || path
            .split('/')
            .any(|segment| segment == "." || segment == "..")
}

/// `migrate_path_280_300.lua:8-71`.
fn normalize_regex(regex: &str) -> String {
    const RESERVED: &[u8] = b"!#$%&'()*+,/:;=?@[]";
    let bytes = regex.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .filter(|pair| pair.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (byte, hex) {
            (b'%', Some(decoded)) => {
                if RESERVED.contains(&decoded) {
                    out.push(b'%');
                    if let Some(pair) = bytes.get(index + 1..index + 3) {
                        out.extend(pair.iter().map(u8::to_ascii_uppercase));
                    }
                } else if b".^-{}\\|".contains(&decoded) {
                    out.push(b'\\');
                    out.push(decoded);
                } else {
                    out.push(decoded);
                }
                index += 3;
            }
            _ => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_migrate_as_kong_migrates_them() {
        let mut document = json!({
            "routes": [{"paths": ["/plain", "/users/\\d+", "/a:b"]}],
            "services": [{"routes": [{"paths": ["/x/%2e%2e/y", "/r%2Fx(%2E)%7e%2f"]}]}]
        });
        let migrations = migrate(document.as_object_mut().unwrap());
        assert_eq!(
            document,
            json!({
                "routes": [{"paths": ["/plain", "~/users/\\d+", "~/a:b"]}],
                "services": [{"routes": [{"paths": ["/x/%2e%2e/y", "~/r%2Fx(\\.)~%2F"]}]}]
            })
        );
        let summary: Vec<(&str, Option<&str>)> = migrations
            .iter()
            .map(|m| (m.pointer.as_str(), m.to.as_deref()))
            .collect();
        assert_eq!(
            summary,
            [
                ("/routes/0/paths/1", Some("~/users/\\d+")),
                ("/routes/0/paths/2", Some("~/a:b")),
                ("/services/0/routes/0/paths/0", None),
                ("/services/0/routes/0/paths/1", Some("~/r%2Fx(\\.)~%2F")),
            ]
        );
    }
}
