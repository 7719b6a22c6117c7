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
    // Envoy: nanoseconds. Precision beyond f64's 53 bits is irrelevant for latencies.
    #[allow(clippy::cast_precision_loss)]
    little_endian(bytes).map(|nanos| nanos as f64 / 1_000_000.0)
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
    }
}
