//! `numeric`: status and duration properties as each engine encodes them (Kong's ngx_wasm_module:
//! ASCII text, seconds for durations; Envoy: 8-byte little-endian integers, nanoseconds).

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_core::numeric::{duration_ms, integer};

#[test]
fn integers_in_both_encodings() {
    let le = |n: u64| n.to_le_bytes().to_vec();
    let cases: Vec<(Vec<u8>, Option<u64>)> = vec![
        (b"308".to_vec(), Some(308)),
        (b"0".to_vec(), Some(0)),
        (b"18446744073709551615".to_vec(), Some(u64::MAX)),
        (b"18446744073709551616".to_vec(), None),
        (b"".to_vec(), None),
        (b"30x".to_vec(), None),
        (b"-1".to_vec(), None),
        (b"3.5".to_vec(), None),
        (le(308), Some(308)),
        (le(0), Some(0)),
        (le(u64::MAX), Some(u64::MAX)),
        (vec![1, 2, 3], None),
        (vec![0; 9], None),
    ];
    for (bytes, expected) in cases {
        assert_eq!(integer(&bytes), expected, "{bytes:?}");
    }
}

#[test]
fn durations_in_milliseconds() {
    let cases: Vec<(Vec<u8>, Option<f64>)> = vec![
        (b"0.002".to_vec(), Some(2.0)),
        (b"1.500".to_vec(), Some(1500.0)),
        (b"0".to_vec(), Some(0.0)),
        (b"0.000".to_vec(), Some(0.0)),
        (1_500_000u64.to_le_bytes().to_vec(), Some(1.5)),
        (0u64.to_le_bytes().to_vec(), Some(0.0)),
        (b"".to_vec(), None),
        (b"1..2".to_vec(), None),
        (b"abc".to_vec(), None),
        (vec![1, 2, 3], None),
    ];
    for (bytes, expected) in cases {
        assert_eq!(duration_ms(&bytes), expected, "{bytes:?}");
    }
}
