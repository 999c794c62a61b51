//! Presence (y-sync awareness): who is on a page and what they have selected.
//!
//! The hub keeps presence itself rather than in `yrs::sync::Awareness`, because every state
//! here has an owner: the first client id a connection announces becomes its own, and a
//! connection may set or remove only that id's state — never anybody else's. The display
//! name in a state (`user.name`, where the editor and the canvas read it) is always the
//! logged-in user's. States are bounded in size, and a connection's state goes when it does.

use super::Close;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use yrs::ClientID;
use yrs::sync::AwarenessUpdate;
use yrs::sync::awareness::AwarenessUpdateEntry;

/// What y-sync sends as the state of a client that left.
const REMOVED: &str = "null";

/// Who is setting presence.
#[derive(Clone, Debug)]
pub(crate) struct Owner<'a> {
    pub connection: u64,
    /// `None` for connections not tied to a login (server tools, tests).
    pub user_id: Option<i64>,
    /// Written into `user.name` of every state this connection sets.
    pub name: Option<&'a str>,
}

struct State {
    clock: u32,
    json: Arc<str>,
    connection: u64,
    user_id: Option<i64>,
}

impl State {
    /// A state may be changed by the connection that set it, or by another connection of the
    /// same user (the same browser tab reconnecting before the old socket is noticed gone).
    fn may_change(&self, who: &Owner) -> bool {
        self.connection == who.connection || (who.user_id.is_some() && self.user_id == who.user_id)
    }
}

#[derive(Default)]
pub(crate) struct Presence {
    states: HashMap<ClientID, State>,
}

impl Presence {
    /// Everyone's current state (the greeting, and the answer to an awareness query).
    pub fn snapshot(&self) -> AwarenessUpdate {
        AwarenessUpdate {
            clients: self
                .states
                .iter()
                .map(|(id, s)| {
                    (
                        *id,
                        AwarenessUpdateEntry {
                            clock: s.clock,
                            json: s.json.clone(),
                        },
                    )
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Applies what a connection says about presence. `own` is the connection's client id
    /// (set here by its first announcement). Returns the entries to pass on to the room;
    /// entries for other ids, for states of other people, or older than what is known are
    /// dropped. A state over `max_bytes` closes the connection.
    pub fn apply(
        &mut self,
        who: &Owner,
        own: &mut Option<ClientID>,
        update: AwarenessUpdate,
        max_bytes: usize,
    ) -> Result<HashMap<ClientID, AwarenessUpdateEntry>, Close> {
        let mut entries: Vec<(ClientID, AwarenessUpdateEntry)> =
            update.clients.into_iter().collect();
        // Which id becomes the connection's own must not depend on hash order.
        entries.sort_by_key(|(id, _)| id.get());
        let mut accepted = HashMap::new();
        for (id, entry) in entries {
            if entry.json.len() > max_bytes {
                return Err(Close::OverBudget(format!(
                    "presence state over {max_bytes} bytes"
                )));
            }
            if own.is_some_and(|o| o != id) {
                continue;
            }
            if self.states.get(&id).is_some_and(|s| !s.may_change(who)) {
                continue;
            }
            let removing = entry.json.as_ref() == REMOVED;
            let json = if removing {
                None
            } else {
                match named(&entry.json, who.name, max_bytes) {
                    Some(json) => Some(json),
                    // Not a JSON object: nothing a client shows; not taken.
                    None => continue,
                }
            };
            *own = Some(id);
            let newer = match self.states.get(&id) {
                Some(s) => entry.clock > s.clock || (entry.clock == s.clock && removing),
                None => !removing,
            };
            if !newer {
                continue;
            }
            match json {
                None => {
                    self.states.remove(&id);
                    accepted.insert(
                        id,
                        AwarenessUpdateEntry {
                            clock: entry.clock,
                            json: Arc::from(REMOVED),
                        },
                    );
                }
                Some(json) => {
                    self.states.insert(
                        id,
                        State {
                            clock: entry.clock,
                            json: json.clone(),
                            connection: who.connection,
                            user_id: who.user_id,
                        },
                    );
                    accepted.insert(
                        id,
                        AwarenessUpdateEntry {
                            clock: entry.clock,
                            json,
                        },
                    );
                }
            }
        }
        Ok(accepted)
    }

    /// Removes the states a connection owns (it left); returns the removals to announce.
    pub fn leave(&mut self, connection: u64) -> HashMap<ClientID, AwarenessUpdateEntry> {
        let gone: Vec<ClientID> = self
            .states
            .iter()
            .filter(|(_, s)| s.connection == connection)
            .map(|(id, _)| *id)
            .collect();
        gone.into_iter()
            .filter_map(|id| self.states.remove(&id).map(|s| (id, s)))
            .map(|(id, s)| {
                (
                    id,
                    AwarenessUpdateEntry {
                        clock: s.clock.saturating_add(1),
                        json: Arc::from(REMOVED),
                    },
                )
            })
            .collect()
    }
}

/// The state with `user.name` set to `name` (when given); `None` unless it is a JSON object
/// that still fits in `max_bytes` afterwards.
fn named(json: &str, name: Option<&str>, max_bytes: usize) -> Option<Arc<str>> {
    let Some(name) = name else {
        return serde_json::from_str::<serde_json::Map<String, Value>>(json)
            .ok()
            .map(|_| Arc::from(json));
    };
    let mut state: serde_json::Map<String, Value> = serde_json::from_str(json).ok()?;
    let user = state
        .entry("user")
        .or_insert_with(|| Value::Object(Default::default()));
    if !user.is_object() {
        *user = Value::Object(Default::default());
    }
    if let Value::Object(user) = user {
        user.insert("name".into(), Value::String(name.to_string()));
    }
    let out = serde_json::to_string(&state).ok()?;
    (out.len() <= max_bytes).then(|| Arc::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(entries: &[(u64, u32, &str)]) -> AwarenessUpdate {
        AwarenessUpdate {
            clients: entries
                .iter()
                .map(|(id, clock, json)| {
                    (
                        ClientID::new(*id),
                        AwarenessUpdateEntry {
                            clock: *clock,
                            json: Arc::from(*json),
                        },
                    )
                })
                .collect(),
        }
    }

    fn who(connection: u64, user_id: i64, name: &str) -> Owner<'_> {
        Owner {
            connection,
            user_id: Some(user_id),
            name: Some(name),
        }
    }

    #[test]
    fn leaving_with_the_largest_clock_does_not_overflow() {
        let mut p = Presence::default();
        let mut own = None;
        p.apply(
            &who(1, 10, "Ann"),
            &mut own,
            update(&[(5, u32::MAX, r#"{"user":{}}"#)]),
            1024,
        )
        .unwrap();
        let gone = p.leave(1);
        assert_eq!(gone[&ClientID::new(5)].clock, u32::MAX);
    }

    #[test]
    fn a_connection_owns_its_first_id_and_only_that() {
        let mut p = Presence::default();
        let ann = who(1, 10, "Ann");
        let mut ann_own = None;
        let got = p
            .apply(
                &ann,
                &mut ann_own,
                update(&[(5, 1, r#"{"user":{"name":"Bob"}}"#)]),
                1024,
            )
            .unwrap();
        assert_eq!(ann_own, Some(ClientID::new(5)));
        assert_eq!(
            got[&ClientID::new(5)].json.as_ref(),
            r#"{"user":{"name":"Ann"}}"#
        );
        // A second id of the same connection is dropped.
        let got = p
            .apply(&ann, &mut ann_own, update(&[(6, 1, "{}")]), 1024)
            .unwrap();
        assert!(got.is_empty());

        // Someone else can neither change nor remove Ann's state, nor claim her id.
        let bob = who(2, 20, "Bob");
        let mut bob_own = None;
        for (clock, json) in [(9, r#"{"selected":"x"}"#), (9, "null"), (1, "null")] {
            let got = p
                .apply(&bob, &mut bob_own, update(&[(5, clock, json)]), 1024)
                .unwrap();
            assert!(got.is_empty());
        }
        assert_eq!(bob_own, None);
        assert_eq!(p.snapshot().clients.len(), 1);

        // Ann's other tab (same user) takes the id over; the old connection's leave then
        // removes nothing.
        let ann2 = who(3, 10, "Ann");
        let mut own2 = None;
        let got = p
            .apply(&ann2, &mut own2, update(&[(5, 2, "{}")]), 1024)
            .unwrap();
        assert_eq!(got.len(), 1);
        assert!(p.leave(1).is_empty());
        let gone = p.leave(3);
        assert_eq!(gone[&ClientID::new(5)].json.as_ref(), "null");
        assert!(p.is_empty());
    }

    #[test]
    fn states_are_bounded_and_must_be_objects() {
        let mut p = Presence::default();
        let ann = who(1, 10, "Ann");
        let mut own = None;
        let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(2000));
        assert!(matches!(
            p.apply(&ann, &mut own, update(&[(1, 1, &big)]), 1024),
            Err(Close::OverBudget(_))
        ));
        for odd in ["[1,2]", "\"hi\"", "not json"] {
            let got = p
                .apply(&ann, &mut own, update(&[(1, 1, odd)]), 1024)
                .unwrap();
            assert!(got.is_empty(), "{odd}");
        }
        // Older clocks are ignored; a removal at the same clock is taken.
        p.apply(&ann, &mut own, update(&[(1, 3, "{}")]), 1024)
            .unwrap();
        assert!(
            p.apply(&ann, &mut own, update(&[(1, 2, "{}")]), 1024)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            p.apply(&ann, &mut own, update(&[(1, 3, "null")]), 1024)
                .unwrap()
                .len(),
            1
        );
        assert!(p.is_empty());
    }
}
