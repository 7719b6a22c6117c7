//! Where each value of a parsed document was written, by JSON pointer.

use std::collections::HashMap;
use std::fmt;

/// A line and column in the source text, both 1-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The position of every value of a document, keyed by its JSON pointer (`/services/0/name`).
///
/// A value reached through an alias or a merge key is where it is used (the alias), so an error
/// points at the entity that has the problem. JSON read without positions has none: lookups
/// then find nothing.
#[derive(Clone, Debug, Default)]
pub struct Locations {
    by_pointer: HashMap<String, Position>,
}

impl Locations {
    pub(super) fn insert(&mut self, pointer: String, position: Position) {
        self.by_pointer.insert(pointer, position);
    }

    /// Where the value at `pointer` was written, or its nearest ancestor that has a position.
    pub fn find(&self, pointer: &str) -> Option<Position> {
        let mut pointer = pointer;
        loop {
            if let Some(position) = self.by_pointer.get(pointer) {
                return Some(*position);
            }
            let (parent, _) = pointer.rsplit_once('/')?;
            pointer = parent;
        }
    }
}

/// A JSON pointer token: `~` and `/` escaped (RFC 6901).
pub(super) fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nearest_ancestor() {
        let mut locations = Locations::default();
        locations.insert(String::new(), Position { line: 1, column: 1 });
        locations.insert("/a".to_owned(), Position { line: 2, column: 3 });
        assert_eq!(
            locations.find("/a/b/0"),
            Some(Position { line: 2, column: 3 })
        );
        assert_eq!(locations.find("/z"), Some(Position { line: 1, column: 1 }));
        assert_eq!(Locations::default().find("/a"), None);
        assert_eq!(pointer_token("a/b~c"), "a~1b~0c");
    }
}
