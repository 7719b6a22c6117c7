//! `numeric`: status and duration properties, decoded by the encoding their engine declares
//! (ASCII text with durations in seconds, or 8-byte little-endian integers with nanoseconds).

// Integration tests may fail loudly outside #[test] functions too (helpers, fixtures):
// clippy.toml's allow-*-in-tests reaches only #[test] functions and #[cfg(test)] modules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use kdp_migrate_core::numeric::{Encoding, elapsed_ms};

fn le(n: u64) -> Vec<u8> {
    n.to_le_bytes().to_vec()
}

#[test]
fn integers_by_their_encoding() {
    let cases: Vec<(Encoding, Vec<u8>, Option<u64>)> = vec![
        (Encoding::Text, b"308".to_vec(), Some(308)),
        (Encoding::Text, b"0".to_vec(), Some(0)),
        (
            Encoding::Text,
            b"18446744073709551615".to_vec(),
            Some(u64::MAX),
        ),
        (Encoding::Text, b"18446744073709551616".to_vec(), None),
        (Encoding::Text, b"".to_vec(), None),
        (Encoding::Text, b"30x".to_vec(), None),
        (Encoding::Text, b"-1".to_vec(), None),
        (Encoding::Text, b"+1".to_vec(), None),
        (Encoding::Text, b" 1".to_vec(), None),
        (Encoding::Text, b"3.5".to_vec(), None),
        // Never guessed: little-endian bytes are not text.
        (Encoding::Text, le(308), None),
        (Encoding::LittleEndian, le(308), Some(308)),
        (Encoding::LittleEndian, le(0), Some(0)),
        (Encoding::LittleEndian, le(u64::MAX), Some(u64::MAX)),
        (Encoding::LittleEndian, vec![1, 2, 3], None),
        (Encoding::LittleEndian, vec![0; 9], None),
        (Encoding::LittleEndian, b"308".to_vec(), None),
        // Eight ASCII digits are an integer too: the engine's word decides, not the bytes.
        (
            Encoding::LittleEndian,
            b"00000308".to_vec(),
            Some(u64::from_le_bytes(*b"00000308")),
        ),
    ];
    for (encoding, bytes, expected) in cases {
        assert_eq!(encoding.integer(&bytes), expected, "{encoding:?} {bytes:?}");
    }
}

#[test]
fn durations_in_milliseconds_by_their_encoding() {
    let cases: Vec<(Encoding, Vec<u8>, Option<f64>)> = vec![
        (Encoding::Text, b"0.002".to_vec(), Some(2.0)),
        (Encoding::Text, b"1.500".to_vec(), Some(1500.0)),
        (Encoding::Text, b"0".to_vec(), Some(0.0)),
        (Encoding::Text, b"0.000".to_vec(), Some(0.0)),
        (Encoding::Text, b"".to_vec(), None),
        (Encoding::Text, b"1..2".to_vec(), None),
        (Encoding::Text, b"abc".to_vec(), None),
        (Encoding::Text, b"1e3".to_vec(), None),
        (Encoding::Text, b"inf".to_vec(), None),
        (Encoding::Text, le(1_500_000), None),
        (Encoding::LittleEndian, le(1_500_000), Some(1.5)),
        (Encoding::LittleEndian, le(0), Some(0.0)),
        (Encoding::LittleEndian, vec![1, 2, 3], None),
        (Encoding::LittleEndian, b"0.002".to_vec(), None),
    ];
    for (encoding, bytes, expected) in cases {
        assert_eq!(
            encoding.duration_ms(&bytes),
            expected,
            "{encoding:?} {bytes:?}"
        );
    }
}

#[test]
fn elapsed_time_between_clock_readings() {
    assert_eq!(elapsed_ms(1_000_000_000, 1_002_500_000), Some(2.5));
    assert_eq!(elapsed_ms(5, 5), Some(0.0));
    // A clock that went backwards measures nothing.
    assert_eq!(elapsed_ms(2, 1), None);
}
