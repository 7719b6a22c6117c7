//! A whole header map, read in one hostcall and looked up in place.
//!
//! Every hostcall that returns data makes the host call back into the VM to allocate the answer;
//! in Envoy's V8 that round trip is most of a read's cost (several µs each on a small VM), while
//! encoding the whole map instead of one value costs the host next to nothing. So a phase that
//! needs several headers reads its map once and borrows from it.

use std::ops::Range;

use crate::abi::{self, HostStatus, MapType};

/// One header map in the ABI's encoding: a count, then (name length, value length) pairs, then the
/// NUL-terminated names and values. Lookups walk it without copying.
#[derive(Debug, Default)]
pub(crate) struct HeaderMap {
    bytes: Vec<u8>,
}

impl HeaderMap {
    /// Reads `map` from the host.
    pub fn read(map: MapType) -> Result<HeaderMap, HostStatus> {
        abi::header_map_bytes(map).map(HeaderMap::from_bytes)
    }

    /// Wraps bytes in the ABI's encoding. Malformed bytes are kept but yield no headers.
    pub fn from_bytes(bytes: Vec<u8>) -> HeaderMap {
        HeaderMap { bytes }
    }

    /// Every (name, value), in the host's order, duplicates (several `Set-Cookie`) apart. A
    /// malformed encoding ends the walk where it stops making sense.
    pub fn iter(&self) -> Pairs<'_> {
        let count = read_u32(&self.bytes, 0).unwrap_or(0);
        Pairs {
            bytes: &self.bytes,
            left: count,
            sizes_at: 4,
            data_at: count.checked_mul(8).and_then(|sizes| sizes.checked_add(4)),
        }
    }

    /// The first value of `name` (names compared ASCII case-insensitively).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, value)| value)
    }

    /// The first value of each of `names`, in one walk of the map: a phase that needs several
    /// headers pays one pass, not one per header.
    pub fn first_values<const N: usize>(&self, names: [&str; N]) -> [Option<&[u8]>; N] {
        let mut found = [None; N];
        let mut missing = N;
        for (key, value) in self.iter() {
            for (name, slot) in names.iter().zip(found.iter_mut()) {
                if slot.is_none() && key.eq_ignore_ascii_case(name.as_bytes()) {
                    *slot = Some(value);
                    missing -= 1;
                }
            }
            if missing == 0 {
                break;
            }
        }
        found
    }

    /// Where `value`, a slice this map returned, lies in the map's bytes, so that it can be kept
    /// as a position and borrowed again later ([`HeaderMap::at`]).
    pub fn span(&self, value: &[u8]) -> Option<Range<usize>> {
        let start = (value.as_ptr() as usize).checked_sub(self.bytes.as_ptr() as usize)?;
        let end = start.checked_add(value.len())?;
        (end <= self.bytes.len()).then_some(start..end)
    }

    /// The bytes at `span` (empty when the span is not in the map).
    pub fn at(&self, span: Range<usize>) -> &[u8] {
        self.bytes.get(span).unwrap_or_default()
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, value)| value)
    }
}

/// The walk over a [`HeaderMap`].
pub(crate) struct Pairs<'a> {
    bytes: &'a [u8],
    left: usize,
    sizes_at: usize,
    /// `None` once the encoding stopped making sense.
    data_at: Option<usize>,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let pair = self.read_pair();
        if pair.is_none() {
            self.data_at = None;
            self.left = 0;
        }
        pair
    }
}

impl<'a> Pairs<'a> {
    fn read_pair(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        let data_at = self.data_at?;
        let key_size = read_u32(self.bytes, self.sizes_at)?;
        let value_size = read_u32(self.bytes, self.sizes_at.checked_add(4)?)?;
        let key = self.bytes.get(data_at..data_at.checked_add(key_size)?)?;
        let value_at = data_at.checked_add(key_size)?.checked_add(1)?;
        let value = self
            .bytes
            .get(value_at..value_at.checked_add(value_size)?)?;
        self.sizes_at = self.sizes_at.checked_add(8)?;
        self.data_at = value_at.checked_add(value_size)?.checked_add(1);
        self.left -= 1;
        Some((key, value))
    }
}

fn read_u32(bytes: &[u8], at: usize) -> Option<usize> {
    let raw: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    usize::try_from(u32::from_le_bytes(raw)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::serialize_pairs;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        HeaderMap::from_bytes(serialize_pairs(pairs))
    }

    #[test]
    fn walks_every_pair_in_order() {
        let headers = map(&[
            (":path", "/a"),
            ("set-cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ]);
        let pairs: Vec<_> = headers.iter().collect();
        assert_eq!(
            pairs,
            vec![
                (&b":path"[..], &b"/a"[..]),
                (&b"set-cookie"[..], &b"a=1"[..]),
                (&b"Set-Cookie"[..], &b"b=2"[..]),
            ]
        );
        assert_eq!(headers.get(":path"), Some(&b"/a"[..]));
        assert_eq!(headers.get("SET-COOKIE"), Some(&b"a=1"[..]));
        assert_eq!(
            headers.all("set-cookie").collect::<Vec<_>>(),
            vec![&b"a=1"[..], &b"b=2"[..]]
        );
        assert_eq!(headers.get("location"), None);
    }

    #[test]
    fn first_values_take_the_first_of_each_name_in_one_walk() {
        let headers = map(&[
            (":path", "/a"),
            ("Host", "h"),
            ("set-cookie", "a=1"),
            ("host", "second"),
        ]);
        let [host, path, cookie, absent] =
            headers.first_values(["host", ":path", "set-cookie", "location"]);
        assert_eq!(host, Some(&b"h"[..]));
        assert_eq!(path, Some(&b"/a"[..]));
        assert_eq!(cookie, Some(&b"a=1"[..]));
        assert_eq!(absent, None);
        let span = headers.span(host.unwrap_or_default()).expect("in the map");
        assert_eq!(headers.at(span), b"h");
        assert_eq!(headers.span(b"elsewhere"), None);
        assert_eq!(headers.at(1000..1001), b"");
    }

    #[test]
    fn empty_values_are_values() {
        let headers = map(&[("x-empty", ""), ("host", "h")]);
        assert_eq!(headers.get("x-empty"), Some(&b""[..]));
        assert_eq!(headers.get("host"), Some(&b"h"[..]));
    }

    #[test]
    fn malformed_encodings_yield_what_makes_sense_and_never_trap() {
        assert_eq!(HeaderMap::default().iter().count(), 0);
        assert_eq!(
            HeaderMap::from_bytes(vec![255, 255, 255, 255])
                .iter()
                .count(),
            0
        );
        assert_eq!(
            HeaderMap::from_bytes(vec![1, 0, 0, 0, 200, 0, 0, 0])
                .iter()
                .count(),
            0
        );
        // Cut inside the second value: the first pair is still read.
        let mut bytes = serialize_pairs(&[("a", "1"), ("b", "22")]);
        bytes.truncate(bytes.len() - 2);
        let headers = HeaderMap::from_bytes(bytes);
        assert_eq!(headers.get("a"), Some(&b"1"[..]));
        assert_eq!(headers.iter().count(), 1);
    }
}
