//! Numeric properties, which the engines encode differently: Kong's ngx_wasm_module answers ASCII
//! text (`"308"`, seconds as `"0.002"`), Envoy 8-byte little-endian integers (durations in ns).

/// A status, size or count property.
pub fn integer(bytes: &[u8]) -> Option<u64> {
    if let Some(text) = ascii_number(bytes) {
        return text.parse().ok();
    }
    little_endian(bytes)
}

/// A duration property (`request.duration`) in milliseconds.
pub fn duration_ms(bytes: &[u8]) -> Option<f64> {
    if let Some(text) = ascii_number(bytes) {
        // ngx_wasm_module: `$request_time`, seconds with millisecond resolution.
        return text.parse::<f64>().ok().map(|seconds| seconds * 1000.0);
    }
    // Envoy: nanoseconds.
    little_endian(bytes).map(nanos_to_ms)
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

fn ascii_number(bytes: &[u8]) -> Option<&str> {
    let is_text = !bytes.is_empty() && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'.');
    if is_text {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    }
}

fn little_endian(bytes: &[u8]) -> Option<u64> {
    let array: [u8; 8] = bytes.try_into().ok()?;
    Some(u64::from_le_bytes(array))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_encodings_decode() {
        assert_eq!(integer(b"308"), Some(308));
        assert_eq!(integer(&308u64.to_le_bytes()), Some(308));
        assert_eq!(integer(b""), None);
        assert_eq!(integer(b"30x"), None);
        assert_eq!(duration_ms(b"0.002"), Some(2.0));
        assert_eq!(duration_ms(&1_500_000u64.to_le_bytes()), Some(1.5));
        assert_eq!(duration_ms(&[1, 2, 3]), None);
        assert_eq!(elapsed_ms(1_000_000_000, 1_002_500_000), Some(2.5));
        assert_eq!(elapsed_ms(2, 1), None);
    }
}
