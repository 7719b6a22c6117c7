//! Numeric property values (statuses, sizes, durations) in the two encodings proxies answer them
//! in. Which proxy uses which is the adapter's knowledge (its engine description): a value is
//! decoded by the encoding its engine declares, never by guessing from its bytes, since eight
//! ASCII digits are also a valid little-endian integer.

/// How an engine encodes numeric properties.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// ASCII decimal text; durations in seconds (`"308"`, `"0.002"`).
    Text,
    /// 8-byte little-endian unsigned integers; durations in nanoseconds.
    LittleEndian,
}

impl Encoding {
    /// A status, size or count property.
    pub fn integer(self, bytes: &[u8]) -> Option<u64> {
        match self {
            Encoding::Text => digits(bytes, false)?.parse().ok(),
            Encoding::LittleEndian => little_endian(bytes),
        }
    }

    /// A duration property (`request.duration`) in milliseconds.
    pub fn duration_ms(self, bytes: &[u8]) -> Option<f64> {
        match self {
            // Seconds, with a fraction (nginx's `$request_time` has millisecond resolution).
            Encoding::Text => digits(bytes, true)?
                .parse::<f64>()
                .ok()
                .map(|seconds| seconds * 1000.0),
            Encoding::LittleEndian => little_endian(bytes).map(nanos_to_ms),
        }
    }
}

/// The milliseconds from `start` to `end` (clock readings in nanoseconds); `None` if the clock
/// went backwards.
pub fn elapsed_ms(start_nanos: u64, end_nanos: u64) -> Option<f64> {
    end_nanos.checked_sub(start_nanos).map(nanos_to_ms)
}

fn nanos_to_ms(nanos: u64) -> f64 {
    // Precision beyond f64's 53 bits is irrelevant for latencies.
    #[allow(clippy::cast_precision_loss)]
    let nanos = nanos as f64;
    nanos / 1_000_000.0
}

/// `bytes` as text if it is only ASCII digits (and dots, with `fraction`): no sign, exponent,
/// `inf` or blank, which Rust's parsers would otherwise take.
fn digits(bytes: &[u8], fraction: bool) -> Option<&str> {
    let is_number = !bytes.is_empty()
        && bytes
            .iter()
            .all(|b| b.is_ascii_digit() || (fraction && *b == b'.'));
    if is_number {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

fn little_endian(bytes: &[u8]) -> Option<u64> {
    let array: [u8; 8] = bytes.try_into().ok()?;
    Some(u64::from_le_bytes(array))
}
