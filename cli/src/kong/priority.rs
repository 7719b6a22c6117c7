//! The priority Kong 3.9's default router gives a route (kong-3.9.3.md §2.5), within the range
//! where it is defined.
//!
//! `get_priority` (`kong/router/transform.lua:533-668`) means to pack, from the top bit down:
//! match weight (the number of non-empty fields), "plain hosts only", header count, "regex
//! path", `regex_priority`, prefix length. But `lshift_uint64` (`transform.lua:456-465`) shifts
//! Lua numbers with LuaJIT's 32-bit `bit.lshift` (count mod 32), so the match weight lands at
//! bit 29, the header count at bit 20 and `regex_priority` at bit 19, OR-ed together; only
//! "plain hosts only" (bit 60) and "regex path" (bit 51) are where the comment says. Where the
//! 32-bit middle part turns negative — 4 or more fields, a `regex_priority` below 0 or above
//! 4095 — the value depends on whether LuaJIT compiled the function (`luajit2@src/lj_obj.h:
//! 1013-1022` vs sign extension in compiled code): Kong's order is not defined there, and the
//! replay refuses such a route rather than guess.

/// Kong caps the header count (`transform.lua:533,594-603`).
const MAX_HEADER_COUNT: usize = 255;

/// The largest `regex_priority` whose shifted value stays a positive 32-bit number.
pub(super) const MAX_REGEX_PRIORITY: i64 = 4095;

/// The most non-empty fields a route may have for its priority to be defined.
pub(super) const MAX_FIELDS: usize = 3;

/// What `get_priority` reads of a route (one matcher of it, when paths are split).
#[derive(Clone, Copy, Debug)]
pub(super) struct PriorityInputs {
    /// Non-empty `methods`, `hosts`, `headers`, `snis`, `paths` (HTTP routes have no
    /// `sources`/`destinations`, `kong/db/schema/entities/routes_subschemas.lua:8-9`).
    pub fields: usize,
    /// `hosts` is present (even empty) and no entry has a `*` (`transform.lua:609-618`).
    pub plain_hosts_only: bool,
    /// Number of header names.
    pub headers: usize,
    /// The matcher's paths are regexes.
    pub regex: bool,
    /// `regex_priority` (counts for regex paths only).
    pub regex_priority: i64,
    /// Byte length of the prefix paths (all of one matcher's prefixes have the same).
    pub prefix_len: usize,
}

/// Why a route's priority is outside the range where Kong 3.9's order is defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum UndefinedPriority {
    /// 4 or more non-empty fields.
    TooManyFields(usize),
    /// A regex route's `regex_priority` outside `0..=4095`.
    RegexPriority(i64),
}

impl std::fmt::Display for UndefinedPriority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UndefinedPriority::TooManyFields(fields) => write!(
                f,
                "it sets {fields} of methods, hosts, headers, snis and paths; Kong 3.9 orders routes with more than {MAX_FIELDS} by a priority that depends on whether LuaJIT compiled the router's get_priority (kong/router/transform.lua:456-465,660-665), so which route wins cannot be predicted: split it into routes with at most {MAX_FIELDS}"
            ),
            UndefinedPriority::RegexPriority(priority) => write!(
                f,
                "regex_priority {priority} is outside 0..={MAX_REGEX_PRIORITY}, where Kong 3.9 orders regex routes by a priority that depends on whether LuaJIT compiled the router's get_priority (kong/router/transform.lua:456-465,660-665), so which route wins cannot be predicted"
            ),
        }
    }
}

/// The priority, compared as an unsigned 64-bit number, greater first.
pub(super) fn priority(inputs: &PriorityInputs) -> Result<u64, UndefinedPriority> {
    let PriorityInputs {
        fields,
        plain_hosts_only,
        headers,
        regex,
        regex_priority,
        prefix_len,
    } = *inputs;
    if fields > MAX_FIELDS {
        return Err(UndefinedPriority::TooManyFields(fields));
    }
    let regex_priority = if regex { regex_priority } else { 0 };
    let regex_priority = u64::try_from(regex_priority)
        .ok()
        .filter(|&value| value <= MAX_REGEX_PRIORITY as u64)
        .ok_or(UndefinedPriority::RegexPriority(regex_priority))?;
    let headers = headers.min(MAX_HEADER_COUNT) as u64;
    // The 32-bit middle part: `lshift(n, 61 % 32)`, `lshift(n, 52 % 32)`, `lshift(n, 19)`.
    let middle = (fields as u64) << 29 | headers << 20 | regex_priority << 19;
    Ok(u64::from(plain_hosts_only) << 60
        | u64::from(regex) << 51
        | middle
        | (prefix_len as u64 & 0x7FFFF))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(fields: usize) -> PriorityInputs {
        PriorityInputs {
            fields,
            plain_hosts_only: false,
            headers: 0,
            regex: false,
            regex_priority: 0,
            prefix_len: 0,
        }
    }

    /// The values kong-3.9.3.md §2.5 got by running the real `get_priority` (interpreter and JIT
    /// agree on all of them).
    #[test]
    fn priorities_are_those_kong_computes() {
        let prefix = |len| PriorityInputs {
            prefix_len: len,
            ..inputs(1)
        };
        // A paths:[/api], B paths:[/api01]
        assert_eq!(priority(&prefix(4)), Ok(0x2000_0004));
        assert_eq!(priority(&prefix(6)), Ok(0x2000_0006));
        // C hosts:[a.com] paths:[/]
        let exact_host = PriorityInputs {
            plain_hosts_only: true,
            ..prefix(1)
        };
        assert_eq!(
            priority(&PriorityInputs {
                fields: 2,
                ..exact_host
            }),
            Ok(0x1000_0000_4000_0001)
        );
        // D hosts:[*.a.com] paths:[/]
        assert_eq!(
            priority(&PriorityInputs {
                fields: 2,
                ..prefix(1)
            }),
            Ok(0x4000_0001)
        );
        // F, G, I: paths:[~/api/.*] with regex_priority 0, 5, 1024
        let regex = |regex_priority| PriorityInputs {
            regex: true,
            regex_priority,
            ..inputs(1)
        };
        assert_eq!(priority(&regex(0)), Ok(0x0008_0000_2000_0000));
        assert_eq!(priority(&regex(5)), Ok(0x0008_0000_2028_0000));
        assert_eq!(priority(&regex(1024)), priority(&regex(0)), "bit 29 again");
        // O headers:{x-a:[1]} paths:[/api]
        assert_eq!(
            priority(&PriorityInputs {
                fields: 2,
                headers: 1,
                ..prefix(4)
            }),
            Ok(0x4010_0004)
        );
        // Q hosts:[a.com:8000] paths:[~/v\d+/(?<rest>.*)]
        assert_eq!(
            priority(&PriorityInputs {
                fields: 2,
                plain_hosts_only: true,
                ..regex(0)
            }),
            Ok(0x1008_0000_4000_0000)
        );
    }

    #[test]
    fn outside_the_defined_range_is_refused() {
        // K, M: 4 and 5 fields; H, J: regex_priority -1 and 5000.
        assert_eq!(
            priority(&inputs(4)),
            Err(UndefinedPriority::TooManyFields(4))
        );
        let regex = |regex_priority| PriorityInputs {
            regex: true,
            regex_priority,
            ..inputs(1)
        };
        assert_eq!(
            priority(&regex(-1)),
            Err(UndefinedPriority::RegexPriority(-1))
        );
        assert_eq!(
            priority(&regex(5000)),
            Err(UndefinedPriority::RegexPriority(5000))
        );
        assert!(priority(&regex(4095)).is_ok());
        // A prefix route's regex_priority is not used.
        let prefix = PriorityInputs {
            regex_priority: -1,
            ..inputs(1)
        };
        assert!(priority(&prefix).is_ok());
    }
}
