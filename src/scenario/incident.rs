//! Incidents (docs/incidents.md): scenarios of real, public outages with
//! the post-mortem's source, the moment responders were paged, the
//! remedies they could have tried (each marked as working or not) and
//! debrief questions. This module replays an incident, judges every
//! remedy by simulating it, and scores a player's choice of actions.
//!
//! A remedy *works* when every entry point is healthy at the end of the
//! timeline and has been for its last tenth ([`works`]). The score of a
//! choice is the user requests that failed from `detected_at` to the end
//! ([`failed_requests`]): demand the entry points did not serve, requests
//! shed by the choice's own `surge` below x1 included.

use crate::finding::Pos;
use crate::sim::timeline::Event;

/// The four keys that make a scenario an incident, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    /// Where the story comes from.
    pub source: Source,
    /// When responders were paged, seconds from the start.
    pub detected_at_s: f64,
    /// What responders could have done, in file order.
    pub remedies: Vec<Remedy>,
    /// Questions for the debrief, in file order.
    pub debrief: Vec<Debrief>,
}

/// `source:`: the public post-mortem.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Who published it (`GitHub`).
    pub organisation: String,
    /// When the incident happened, `YYYY-MM-DD`.
    pub date: String,
    /// The post-mortem's title.
    pub title: String,
    /// Where to read it, when given.
    pub url: Option<String>,
}

/// One remedy: actions taken at one moment, and whether the file says
/// they work.
#[derive(Debug, Clone, PartialEq)]
pub struct Remedy {
    /// `name:`, unique in the file.
    pub name: String,
    /// When its actions are taken, seconds (from `detected_at` to the end).
    pub at_s: f64,
    /// Its actions as timeline events at `at_s` (a `set` of several links
    /// gives one event per link).
    pub events: Vec<Event>,
    /// `works:` as written: what the simulation must agree with.
    pub works: bool,
    /// One line: why it works or does not.
    pub why: String,
    /// Where the remedy starts in the file.
    pub pos: Pos,
}

/// One debrief question and its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Debrief {
    /// The question.
    pub question: String,
    /// The answer.
    pub answer: String,
}
