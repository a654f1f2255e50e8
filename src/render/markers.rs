//! What happened when, in words: the faults and actions of a timeline
//! (a fault starting or ending, `recover`, `scale`, `flush`, `set`), each
//! a [`Marker`] with its moment and a one-line description. The timeline
//! chart draws them as labelled lines and the timeline's Markdown lists
//! them.
//!
//! Today they are derived from the events handed to the simulation
//! ([`from_events`]). When the engine's timeline reports the events it
//! applied itself, building the markers from that list is the one line to
//! change at each caller.

use crate::model::Model;
use crate::sim::timeline::{Action, Event};

/// One event of a timeline, as the chart and tables show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// When, seconds from the start.
    pub t_s: f64,
    /// What happened, in one line (`--down catalog-db`, `scale web +2`).
    pub text: String,
}

/// The markers of `events` over a run of `duration_s`: each event at its
/// moment, and the end of each fault with a `for` window that closes
/// within the run. Ordered by time, then as given.
pub fn from_events(model: &Model, events: &[Event], duration_s: f64) -> Vec<Marker> {
    let mut markers = Vec::new();
    for event in events {
        if event.at_s > duration_s + 1e-9 {
            continue;
        }
        markers.push(Marker {
            t_s: event.at_s,
            text: event.action.describe(model),
        });
        if let (Action::Fault(fault), Some(length)) = (&event.action, event.for_s) {
            let end = event.at_s + length;
            if end <= duration_s + 1e-9 {
                markers.push(Marker {
                    t_s: end,
                    text: format!("{} ends", fault.as_flag()),
                });
            }
        }
    }
    markers.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    markers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Criticality;
    use crate::sim::faults::{FaultKind, parse};
    use crate::sim::timeline::{PolicyChange, Recovery};

    #[test]
    fn every_action_and_the_end_of_a_window_is_marked() {
        let m = crate::model::load_str(
            "zones: [a, b]\nservices:\n  web: { entry: { rps: 10 }, depends_on: [db] }\n  db: {}\n",
            "t.yaml",
        )
        .unwrap()
        .model;
        let web = m.find("web").unwrap();
        let db = m.find("db").unwrap();
        let down = parse(FaultKind::Down, "db", &m).unwrap();
        let at = |at_s: f64, for_s: Option<f64>, action: Action| Event {
            at_s,
            for_s,
            action,
        };
        let events = vec![
            at(60.0, Some(120.0), Action::Fault(down)),
            at(
                0.0,
                None,
                Action::Scale {
                    service: web,
                    add: 2,
                },
            ),
            at(30.0, None, Action::Flush { service: db }),
            at(200.0, None, Action::Recover(Recovery::Zone(1))),
            at(
                240.0,
                None,
                Action::Set {
                    from: web,
                    to: db,
                    change: PolicyChange {
                        retries: Some(0),
                        timeout_s: Some(Some(0.2)),
                        criticality: Some(Criticality::Soft),
                        ..PolicyChange::default()
                    },
                },
            ),
            at(900.0, None, Action::Recover(Recovery::Service(db))),
        ];
        let shown: Vec<(f64, String)> = from_events(&m, &events, 600.0)
            .into_iter()
            .map(|k| (k.t_s, k.text))
            .collect();
        assert_eq!(
            shown,
            [
                (0.0, "scale web +2".to_string()),
                (30.0, "flush db".into()),
                (60.0, "--down db".into()),
                (180.0, "--down db ends".into()),
                (200.0, "recover zone:b".into()),
                (240.0, "set web->db: retries 0, timeout 200ms, soft".into()),
            ]
        );
    }
}
