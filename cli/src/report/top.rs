//! The most frequent values of a stream in bounded memory: Metwally, Agrawal and El Abbadi's
//! Space-Saving ("Efficient computation of frequent and top-k elements in data streams", 2005).
//!
//! It keeps `capacity` counters. While fewer distinct values than that have been seen, every count is
//! exact. After that a new value takes over the smallest counter and starts from its count, so a
//! count may be too high by at most the `overcount` it carries (never too low), and any value seen
//! more than `total / capacity` times is guaranteed to be kept.

use std::collections::HashMap;

/// One kept value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ranked {
    /// The value.
    pub value: String,
    /// How often it was seen: at most this many times.
    pub count: u64,
    /// At most this much of `count` may belong to values it replaced (0: exact).
    pub overcount: u64,
}

/// The counters.
#[derive(Clone, Debug)]
pub struct TopValues {
    capacity: usize,
    counters: HashMap<String, (u64, u64)>,
}

impl TopValues {
    /// At most `capacity` counters (at least one).
    pub fn new(capacity: usize) -> Self {
        TopValues {
            capacity: capacity.max(1),
            counters: HashMap::new(),
        }
    }

    /// Counts one sighting of `value`.
    pub fn add(&mut self, value: &str) {
        if let Some((count, _)) = self.counters.get_mut(value) {
            *count += 1;
            return;
        }
        if self.counters.len() < self.capacity {
            self.counters.insert(value.to_owned(), (1, 0));
            return;
        }
        let smallest = self
            .counters
            .iter()
            .min_by(|a, b| a.1.0.cmp(&b.1.0).then_with(|| b.0.cmp(a.0)))
            .map(|(value, (count, _))| (value.clone(), *count));
        if let Some((evicted, count)) = smallest {
            self.counters.remove(&evicted);
            self.counters.insert(value.to_owned(), (count + 1, count));
        }
    }

    /// The `n` largest counts, largest first (ties by value).
    pub fn top(&self, n: usize) -> Vec<Ranked> {
        let mut ranked: Vec<Ranked> = self
            .counters
            .iter()
            .map(|(value, (count, overcount))| Ranked {
                value: value.clone(),
                count: *count,
                overcount: *overcount,
            })
            .collect();
        ranked.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        ranked.truncate(n);
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_exact_until_the_counters_are_full() {
        let mut top = TopValues::new(3);
        for value in ["a", "b", "a", "c", "a", "b"] {
            top.add(value);
        }
        let counts: Vec<(String, u64, u64)> = top
            .top(5)
            .into_iter()
            .map(|r| (r.value, r.count, r.overcount))
            .collect();
        assert_eq!(
            counts,
            [
                ("a".to_owned(), 3, 0),
                ("b".to_owned(), 2, 0),
                ("c".to_owned(), 1, 0)
            ]
        );
    }

    #[test]
    fn a_frequent_value_survives_a_long_tail_and_its_bound_holds() {
        let mut top = TopValues::new(8);
        let mut truth = 0u64;
        for round in 0..10_000u64 {
            if round % 3 == 0 {
                top.add("curl/8.5.0");
                truth += 1;
            } else {
                top.add(&format!("agent-{round}"));
            }
        }
        let first = top.top(1).remove(0);
        assert_eq!(first.value, "curl/8.5.0");
        assert!(
            first.count >= truth && first.count - first.overcount <= truth,
            "{first:?}, truth {truth}"
        );
    }
}
