//! Metrics the filters define, shared by every filter the host runs (as Kong's metrics live in
//! one shared memory zone, and Envoy's in one stats store).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// The three proxy-wasm metric types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MetricKind {
    /// Only goes up.
    Counter,
    /// Set or moved either way.
    Gauge,
    /// Recorded values; the host keeps their count and sum.
    Histogram,
}

impl MetricKind {
    pub(crate) fn from_code(code: u32) -> Option<Self> {
        match code {
            0 => Some(MetricKind::Counter),
            1 => Some(MetricKind::Gauge),
            2 => Some(MetricKind::Histogram),
            _ => None,
        }
    }
}

/// One metric.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metric {
    /// Its stored name: `pw:<filter>:<name>` in Kong engine, the name as defined in Envoy engine.
    pub name: String,
    /// Its type.
    pub kind: MetricKind,
    /// Counter or gauge value; for a histogram, the sum of the recorded values.
    pub value: u64,
    /// For a histogram, how many values were recorded; else 0.
    pub samples: u64,
}

/// Why a metric operation was refused; the hostcall answers `NotFound` or `BadArgument`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MetricError {
    Unknown,
    Invalid,
}

/// The one metrics store of a host, shared by its chains' stores: a hostcall updates it in place.
pub(crate) type SharedMetrics = Rc<RefCell<Metrics>>;

/// Every metric, by id (ids are indexes, handed out in definition order).
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    entries: Vec<Metric>,
    by_name: HashMap<String, u32>,
}

/// Kong refuses names longer than this, prefix included (ngx_wasm_module `max_metric_name_length`).
pub(crate) const KONG_MAX_NAME: usize = 256;

impl Metrics {
    /// Defines a metric, or returns the id it already has (both engines let every worker and
    /// filter instance define the same name).
    pub(crate) fn define(&mut self, kind: MetricKind, name: String) -> Result<u32, MetricError> {
        if let Some(&id) = self.by_name.get(&name) {
            return match self.entries.get(id as usize) {
                Some(metric) if metric.kind == kind => Ok(id),
                _ => Err(MetricError::Invalid),
            };
        }
        let id = u32::try_from(self.entries.len()).map_err(|_| MetricError::Invalid)?;
        self.entries.push(Metric {
            name: name.clone(),
            kind,
            value: 0,
            samples: 0,
        });
        self.by_name.insert(name, id);
        Ok(id)
    }

    pub(crate) fn increment(&mut self, id: u32, offset: i64) -> Result<(), MetricError> {
        let metric = self
            .entries
            .get_mut(id as usize)
            .ok_or(MetricError::Unknown)?;
        match metric.kind {
            MetricKind::Counter if offset < 0 => Err(MetricError::Invalid),
            MetricKind::Counter | MetricKind::Gauge => {
                metric.value = metric.value.saturating_add_signed(offset);
                Ok(())
            }
            MetricKind::Histogram => Err(MetricError::Invalid),
        }
    }

    pub(crate) fn record(&mut self, id: u32, value: u64) -> Result<(), MetricError> {
        let metric = self
            .entries
            .get_mut(id as usize)
            .ok_or(MetricError::Unknown)?;
        match metric.kind {
            MetricKind::Counter => Err(MetricError::Invalid),
            MetricKind::Gauge => {
                metric.value = value;
                Ok(())
            }
            MetricKind::Histogram => {
                metric.value = metric.value.saturating_add(value);
                metric.samples = metric.samples.saturating_add(1);
                Ok(())
            }
        }
    }

    pub(crate) fn get_by_id(&self, id: u32) -> Option<u64> {
        self.entries.get(id as usize).map(|metric| metric.value)
    }

    /// The value of the metric stored under `name`.
    pub fn get(&self, name: &str) -> Option<u64> {
        let id = *self.by_name.get(name)?;
        self.get_by_id(id)
    }

    /// Every metric, in definition order.
    pub fn iter(&self) -> impl Iterator<Item = &Metric> {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_only_go_up_and_redefinition_returns_the_same_id() {
        let mut metrics = Metrics::default();
        let id = metrics
            .define(MetricKind::Counter, "pw:f:c".to_owned())
            .unwrap();
        assert_eq!(
            metrics.define(MetricKind::Counter, "pw:f:c".to_owned()),
            Ok(id)
        );
        assert_eq!(
            metrics.define(MetricKind::Gauge, "pw:f:c".to_owned()),
            Err(MetricError::Invalid)
        );
        metrics.increment(id, 2).unwrap();
        assert_eq!(metrics.increment(id, -1), Err(MetricError::Invalid));
        assert_eq!(metrics.get("pw:f:c"), Some(2));
        assert_eq!(metrics.increment(7, 1), Err(MetricError::Unknown));
    }
}
