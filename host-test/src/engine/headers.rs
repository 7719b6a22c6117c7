//! An ordered, case-insensitive header map, and the proxy-wasm wire format for it.

use std::borrow::Cow;

/// A header name: the engines' own names (pseudo-headers, Kong's managed headers) are static and
/// cost no allocation per request.
type Name = Cow<'static, str>;

/// Headers in the order they were sent. Names compare ASCII case-insensitively; a name may
/// repeat (several `Set-Cookie`), as both engines keep them as separate entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderMap {
    entries: Vec<(Name, String)>,
}

impl HeaderMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.entries
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Appends one entry, keeping any existing ones.
    pub fn add(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<String>) {
        self.entries.push((name.into(), value.into()));
    }

    /// Sets `name` to exactly one value: the first entry is replaced in place (so the order the
    /// upstream sees does not change), later ones are removed, and it is appended when absent.
    pub fn replace(&mut self, name: &str, value: &str) {
        let mut seen = false;
        self.entries.retain_mut(|(key, existing)| {
            if !key.eq_ignore_ascii_case(name) {
                return true;
            }
            if seen {
                return false;
            }
            seen = true;
            value.clone_into(existing);
            true
        });
        if !seen {
            self.entries
                .push((Cow::Owned(name.to_owned()), value.to_owned()));
        }
    }

    /// Removes every entry of `name`.
    pub fn remove(&mut self, name: &str) {
        self.entries
            .retain(|(key, _)| !key.eq_ignore_ascii_case(name));
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .map(|(key, value)| (key.as_ref(), value.as_str()))
    }

    /// Replaces the whole map (`proxy_set_header_map_pairs`).
    pub(crate) fn set_all(&mut self, pairs: Vec<(String, String)>) {
        self.entries = pairs
            .into_iter()
            .map(|(name, value)| (Cow::Owned(name), value))
            .collect();
    }

    /// Keeps the entries for which `keep` is true.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        self.entries.retain(|(name, value)| keep(name, value));
    }

    /// Serialises the map the way proxy-wasm passes maps: a `u32` count, a `u32` length pair per
    /// entry, then each name and value followed by a NUL byte. All numbers little-endian.
    pub(crate) fn serialize_into(&self, out: &mut Vec<u8>) {
        serialize_pairs(&self.entries, out);
    }
}

impl<K: Into<Cow<'static, str>>, V: Into<String>> FromIterator<(K, V)> for HeaderMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self {
            entries: iter
                .into_iter()
                .map(|(key, value)| (key.into(), value.into()))
                .collect(),
        }
    }
}

/// Serialises pairs in the proxy-wasm map format (see [`HeaderMap::serialize_into`]).
pub(crate) fn serialize_pairs<K: AsRef<str>>(pairs: &[(K, String)], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&wire_len(pairs.len()).to_le_bytes());
    for (key, value) in pairs {
        out.extend_from_slice(&wire_len(key.as_ref().len()).to_le_bytes());
        out.extend_from_slice(&wire_len(value.len()).to_le_bytes());
    }
    for (key, value) in pairs {
        out.extend_from_slice(key.as_ref().as_bytes());
        out.push(0);
        out.extend_from_slice(value.as_bytes());
        out.push(0);
    }
}

// Sizes come from the host's own data, far below 4 GiB; saturate rather than wrap if not.
fn wire_len(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Parses a map the guest serialised. Invalid UTF-8 is replaced (headers here are text), a
/// truncated or inconsistent buffer is an error: the host answers `BadArgument`.
pub(crate) fn deserialize_pairs(bytes: &[u8]) -> Result<Vec<(String, String)>, &'static str> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let count = read_u32(bytes, 0).ok_or("map shorter than its count")?;
    let count = usize::try_from(count).map_err(|_| "map count too large")?;
    let sizes_end = count
        .checked_mul(8)
        .and_then(|sizes| sizes.checked_add(4))
        .ok_or("map count too large")?;
    if sizes_end > bytes.len() {
        return Err("map shorter than its size table");
    }
    let mut pairs = Vec::with_capacity(count);
    let mut at = sizes_end;
    for index in 0..count {
        let slot = 4 + index * 8;
        let key_len = read_u32(bytes, slot).ok_or("map size table truncated")?;
        let value_len = read_u32(bytes, slot + 4).ok_or("map size table truncated")?;
        let key = take(bytes, &mut at, key_len)?;
        let value = take(bytes, &mut at, value_len)?;
        pairs.push((
            String::from_utf8_lossy(key).into_owned(),
            String::from_utf8_lossy(value).into_owned(),
        ));
    }
    Ok(pairs)
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let end = at.checked_add(4)?;
    let word: [u8; 4] = bytes.get(at..end)?.try_into().ok()?;
    Some(u32::from_le_bytes(word))
}

// Takes `len` bytes and the NUL terminator that follows them.
fn take<'b>(bytes: &'b [u8], at: &mut usize, len: u32) -> Result<&'b [u8], &'static str> {
    let len = usize::try_from(len).map_err(|_| "map entry too large")?;
    let end = at.checked_add(len).ok_or("map entry too large")?;
    let item = bytes.get(*at..end).ok_or("map entry truncated")?;
    if bytes.get(end) != Some(&0) {
        return Err("map entry not NUL-terminated");
    }
    *at = end + 1;
    Ok(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The SDK's own golden bytes for this map (proxy-wasm-rust-sdk `hostcalls::utils::tests`).
    const SERIALIZED: &[u8] = &[
        4, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 8, 0, 0, 0, 10, 0, 0, 0, 11, 0, 0, 0, 10,
        0, 0, 0, 10, 0, 0, 0, 58, 109, 101, 116, 104, 111, 100, 0, 71, 69, 84, 0, 58, 112, 97, 116,
        104, 0, 47, 98, 121, 116, 101, 115, 47, 49, 0, 58, 97, 117, 116, 104, 111, 114, 105, 116,
        121, 0, 104, 116, 116, 112, 98, 105, 110, 46, 111, 114, 103, 0, 80, 111, 119, 101, 114,
        101, 100, 45, 66, 121, 0, 112, 114, 111, 120, 121, 45, 119, 97, 115, 109, 0,
    ];

    fn sample() -> HeaderMap {
        [
            (":method", "GET"),
            (":path", "/bytes/1"),
            (":authority", "httpbin.org"),
            ("Powered-By", "proxy-wasm"),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn serializes_like_the_sdk() {
        let mut out = Vec::new();
        sample().serialize_into(&mut out);
        assert_eq!(out, SERIALIZED);
    }

    #[test]
    fn deserializes_what_the_sdk_writes() {
        let pairs = deserialize_pairs(SERIALIZED).unwrap();
        assert_eq!(pairs.len(), 4);
        assert_eq!(pairs[3], ("Powered-By".to_owned(), "proxy-wasm".to_owned()));
    }

    #[test]
    fn refuses_truncated_maps() {
        assert_eq!(
            deserialize_pairs(&SERIALIZED[..20]),
            Err("map shorter than its size table")
        );
        assert_eq!(
            deserialize_pairs(&SERIALIZED[..SERIALIZED.len() - 1]),
            Err("map entry not NUL-terminated")
        );
    }

    #[test]
    fn replace_keeps_position_and_drops_duplicates() {
        let mut map: HeaderMap = [
            ("a", "1"),
            ("Set-Cookie", "x"),
            ("b", "2"),
            ("set-cookie", "y"),
        ]
        .into_iter()
        .collect();
        map.replace("SET-COOKIE", "z");
        assert_eq!(
            map.iter().collect::<Vec<_>>(),
            [("a", "1"), ("Set-Cookie", "z"), ("b", "2")]
        );
        map.replace("c", "3");
        assert_eq!(map.get("C"), Some("3"));
    }
}
