//! Route ids as Kong 3.9 DB-less gives them: they break ties between routes of equal priority
//! (the ATC router tries the greatest id first, `atc@src/router.rs:10-11,56-68`).

use uuid::Uuid;

/// `uuid_v5("fd02801f-0957-4a15-a55a-c8d9606f30b5", "routes")`: the namespace of the ids of
/// named routes (`kong/db/schema/others/declarative_config.lua:544-557,581-611`).
fn routes_namespace() -> Uuid {
    Uuid::new_v5(&DECLARATIVE_NAMESPACE, b"routes")
}

const DECLARATIVE_NAMESPACE: Uuid = Uuid::from_u128(0xfd02801f_0957_4a15_a55a_c8d9606f30b5);

/// The namespace of the ids of a route split by path length (`kong/router/transform.lua:674`).
const SPLIT_NAMESPACE: Uuid = Uuid::from_u128(0x7f145bf9_0dce_4f91_98eb_debbce4b9f6b);

/// A route's id, and whether Kong keeps it from one start to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RouteId {
    /// Written in the file, or derived from the route's name.
    Stable(Uuid),
    /// Neither id nor name: Kong draws a random v4 id at every load
    /// (`kong/db/schema/init.lua:1889`), so where such a route ties with another, the winner can
    /// change between restarts. The replay breaks the tie by file order instead.
    Random,
}

impl RouteId {
    /// The id of a route with this `id` and `name` (either may be absent).
    pub(super) fn of(id: Option<&str>, name: Option<&str>) -> Result<Self, String> {
        match (id, name) {
            (Some(id), _) => Uuid::parse_str(id)
                .map(RouteId::Stable)
                .map_err(|_| format!("id {id:?} is not a UUID")),
            (None, Some(name)) => Ok(RouteId::Stable(Uuid::new_v5(
                &routes_namespace(),
                name.as_bytes(),
            ))),
            (None, None) => Ok(RouteId::Random),
        }
    }

    /// The id of the `group`-th (1-based) matcher of a route split by path kind and length:
    /// `uuid_v5(SPLIT_NAMESPACE, route.id .. "#" .. group)` (`transform.lua:735`).
    pub(super) fn split(self, group: usize) -> Self {
        match self {
            RouteId::Stable(id) => RouteId::Stable(Uuid::new_v5(
                &SPLIT_NAMESPACE,
                format!("{}#{group}", id.hyphenated()).as_bytes(),
            )),
            RouteId::Random => RouteId::Random,
        }
    }

    /// The id as Kong writes it, when it is stable.
    pub(super) fn stable(self) -> Option<Uuid> {
        match self {
            RouteId::Stable(id) => Some(id),
            RouteId::Random => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_routes_get_kongs_v5_ids() {
        // kong-3.9.3.md §2.4 (computed with Python's uuid5, the same RFC 4122 algorithm).
        let id = |name| RouteId::of(None, Some(name)).unwrap().stable().unwrap();
        assert_eq!(
            id("api01").to_string(),
            "212117b8-ee70-5f60-ae65-d3e661a97fbb"
        );
        assert_eq!(
            id("api02").to_string(),
            "78317d20-b168-5643-bf4b-75d56f7c7109"
        );
        assert_eq!(RouteId::of(None, None).unwrap(), RouteId::Random);
        assert!(RouteId::of(Some("nope"), None).is_err());
    }

    #[test]
    fn split_routes_get_v5_of_the_id_and_group() {
        // Python: uuid5(UUID('7f145bf9-0dce-4f91-98eb-debbce4b9f6b'), '212117b8-ee70-5f60-ae65-d3e661a97fbb#2')
        let route = RouteId::of(None, Some("api01")).unwrap();
        assert_eq!(
            route.split(2).stable().unwrap().to_string(),
            "17004c22-a829-54ba-9e91-348a962a23ef"
        );
    }
}
