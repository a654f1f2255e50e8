//! The four keys that make a scenario an incident — `source`,
//! `detected_at`, `remedies`, `debrief` — read and validated with the rest
//! of the file, every finding at its position.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::{At, Checker, RawDuration, RawEvent, RawScenario, codes, read_codes};
use crate::scenario::incident::{Debrief, Incident, Remedy, Source};
use crate::sim::timeline::{Action, Event};

/// `source: { organisation, date, title, url }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    organisation: At<String>,
    date: At<String>,
    title: At<String>,
    #[serde(default)]
    url: Option<At<String>>,
}

/// One remedy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRemedy {
    name: At<String>,
    at: At<RawDuration>,
    actions: At<Vec<At<RawEvent>>>,
    works: At<bool>,
    why: At<String>,
}

/// One debrief question.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDebrief {
    question: At<String>,
    answer: At<String>,
}

/// What every incident has, for hints.
const INCIDENT_KEYS: &str = "`source`, `detected_at`, `remedies` and `debrief`";

impl Checker<'_> {
    /// The incident's keys, when the file has any of them (then it must
    /// have all four); `None` for a plain scenario, and when something is
    /// wrong (the findings say what).
    pub(super) fn incident(&mut self, raw: &RawScenario) -> Option<Incident> {
        let present = [
            raw.source.as_ref().map(|s| s.pos),
            raw.detected_at.as_ref().map(|d| d.pos),
            raw.remedies.as_ref().map(|r| r.pos),
            raw.debrief.as_ref().map(|d| d.pos),
        ];
        let first = present.iter().flatten().min().copied()?;
        for (key, pos) in ["source", "detected_at", "remedies", "debrief"]
            .iter()
            .zip(present)
        {
            if pos.is_none() {
                self.error(
                    codes::INCOMPLETE_INCIDENT,
                    format!("an incident needs `{key}` too"),
                    first,
                    Some(format!(
                        "an incident has {INCIDENT_KEYS}; a scenario has none of them"
                    )),
                );
            }
        }
        let source = raw.source.as_ref().and_then(|s| self.source(s));
        let detected_at_s = raw.detected_at.as_ref().and_then(|d| self.detected_at(d));
        let remedies = raw
            .remedies
            .as_ref()
            .and_then(|r| self.remedies(r, detected_at_s));
        let debrief = raw.debrief.as_ref().and_then(|d| self.debrief(d));
        Some(Incident {
            source: source?,
            detected_at_s: detected_at_s?,
            remedies: remedies?,
            debrief: debrief?,
        })
    }

    /// A text that must not be blank; `None` (with a finding) when it is.
    fn text(&mut self, field: &str, at: &At<String>, hint: &str) -> Option<String> {
        let text = at.value.trim();
        if text.is_empty() {
            self.error(
                codes::INCOMPLETE_INCIDENT,
                format!("`{field}` is empty"),
                at.pos,
                Some(hint.to_owned()),
            );
            return None;
        }
        Some(text.to_owned())
    }

    fn source(&mut self, raw: &At<RawSource>) -> Option<Source> {
        let s = &raw.value;
        let organisation = self.text(
            "source.organisation",
            &s.organisation,
            "who published the post-mortem, such as `GitHub`",
        );
        let title = self.text(
            "source.title",
            &s.title,
            "the post-mortem's title, as published",
        );
        let date = self.text(
            "source.date",
            &s.date,
            "when the incident happened, such as `2018-10-21`",
        );
        let date = date.filter(|d| {
            let ok = is_date(d);
            if !ok {
                self.error(
                    codes::BAD_DATE,
                    format!("`source.date` `{d}` is not a date"),
                    s.date.pos,
                    Some(
                        "write the day of the incident as `YYYY-MM-DD`, such as `2018-10-21`"
                            .into(),
                    ),
                );
            }
            ok
        });
        let url = match &s.url {
            Some(u) => Some(Some(self.text(
                "source.url",
                u,
                "where the post-mortem can be read, or leave `url` out",
            )?)),
            None => Some(None),
        };
        Some(Source {
            organisation: organisation?,
            date: date?,
            title: title?,
            url: url?,
        })
    }

    /// `detected_at`: within the timeline, and before its end (at the end
    /// there is no time left to act).
    fn detected_at(&mut self, raw: &At<RawDuration>) -> Option<f64> {
        let t = self.moment("detected_at", raw)?;
        let end = self.duration_s?;
        if t >= end - 1e-9 {
            self.error(
                codes::BEFORE_DETECTION,
                format!(
                    "`detected_at` {} is the scenario's end: no time is left to act",
                    crate::text::duration(t)
                ),
                raw.pos,
                Some("page the responders earlier, or raise `duration`".into()),
            );
            return None;
        }
        Some(t)
    }

    fn remedies(
        &mut self,
        raw: &At<Vec<At<RawRemedy>>>,
        detected_at_s: Option<f64>,
    ) -> Option<Vec<Remedy>> {
        if raw.value.is_empty() {
            self.error(
                codes::INCOMPLETE_INCIDENT,
                "`remedies` is empty".into(),
                raw.pos,
                Some("give at least one remedy: `name`, `at`, `actions`, `works`, `why`".into()),
            );
            return None;
        }
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut ok = true;
        for remedy in &raw.value {
            let name = &remedy.value.name;
            if !seen.insert(name.value.trim()) {
                self.error(
                    codes::DUPLICATE_REMEDY,
                    format!("two remedies are named `{}`", name.value.trim()),
                    name.pos,
                    Some("give each remedy its own name: the game and the report tell them apart by it".into()),
                );
                ok = false;
            }
            match self.remedy(remedy, detected_at_s) {
                Some(r) => out.push(r),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn remedy(&mut self, raw: &At<RawRemedy>, detected_at_s: Option<f64>) -> Option<Remedy> {
        let r = &raw.value;
        let name = self.text(
            "name",
            &r.name,
            "name the remedy, such as `turn off client retries`",
        );
        let why = self.text("why", &r.why, "say in one line why it works or does not");
        let at_s = self.moment("at", &r.at).filter(|&t| {
            let early = detected_at_s.is_some_and(|d| t < d - 1e-9);
            if early {
                let d = detected_at_s.unwrap_or_default();
                self.error(
                    codes::BEFORE_DETECTION,
                    format!(
                        "remedy at {} comes before `detected_at` ({}): nobody had been paged yet",
                        crate::text::duration(t),
                        crate::text::duration(d)
                    ),
                    r.at.pos,
                    Some(format!("move it to {} or later", crate::text::duration(d))),
                );
            }
            !early
        });
        let acted = self.remedy_actions(&r.actions);
        let (name, at_s, acted, why) = (name?, at_s?, acted?, why?);
        let events = acted
            .into_iter()
            .flat_map(|(for_s, actions)| {
                actions.into_iter().map(move |action| Event {
                    at_s,
                    for_s,
                    action,
                })
            })
            .collect();
        Some(Remedy {
            name,
            at_s,
            events,
            works: r.works.value,
            why,
            pos: raw.pos,
        })
    }

    /// A remedy's actions, checked exactly as events are (but without
    /// `at`: they happen at the remedy's).
    fn remedy_actions(
        &mut self,
        raw: &At<Vec<At<RawEvent>>>,
    ) -> Option<Vec<(Option<f64>, Vec<Action>)>> {
        if raw.value.is_empty() {
            self.error(
                codes::NO_ACTION,
                "remedy has no actions".into(),
                raw.pos,
                Some("list what responders do, such as `actions: [ { scale: web=+2 } ]`".into()),
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for action in &raw.value {
            if let Some(at) = &action.value.at {
                self.error(
                    read_codes::UNKNOWN_KEY,
                    "unknown key `at` in a remedy's action".into(),
                    at.pos,
                    Some(
                        "a remedy's actions all happen at the remedy's `at`; remove this one"
                            .into(),
                    ),
                );
                ok = false;
            }
            match self.act(action, "action") {
                Some(done) => out.push(done),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn debrief(&mut self, raw: &At<Vec<At<RawDebrief>>>) -> Option<Vec<Debrief>> {
        if raw.value.is_empty() {
            self.error(
                codes::INCOMPLETE_INCIDENT,
                "`debrief` is empty".into(),
                raw.pos,
                Some("ask at least one question: `{ question: …, answer: … }`".into()),
            );
            return None;
        }
        let mut out = Vec::new();
        for item in &raw.value {
            let q = self.text(
                "question",
                &item.value.question,
                "ask what the incident should teach",
            );
            let a = self.text(
                "answer",
                &item.value.answer,
                "answer the question in a few lines",
            );
            if let (Some(question), Some(answer)) = (q, a) {
                out.push(Debrief { question, answer });
            }
        }
        (out.len() == raw.value.len()).then_some(out)
    }
}

/// `YYYY-MM-DD`, a day that exists.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::is_date;
    use crate::error::Error;
    use crate::finding::{Finding, Pos};
    use crate::scenario::load::{Scenario, TempFiles, load_scenario};
    use crate::sim::timeline::Action;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// The head of an incident over examples/checkout-retries.yaml.
    fn head() -> String {
        format!(
            "model: {}\nsource: {{ organisation: whatif, date: 2024-05-17, title: a test }}\n\
             duration: 20m\nevents:\n  - {{ at: 1m, for: 1m, surge: x1.5 }}\n",
            root().join("examples/checkout-retries.yaml").display()
        )
    }

    fn load(test: &str, text: &str) -> Result<Scenario, Error> {
        let files = TempFiles::new(test);
        files.write("incident.yaml", text);
        load_scenario(&files.path("incident.yaml"))
    }

    fn findings(test: &str, text: &str) -> Vec<Finding> {
        match load(test, text) {
            Err(Error::Invalid { findings, .. }) => findings,
            other => panic!("expected findings, got {:?}", other.map(|s| s.title)),
        }
    }

    fn codes(findings: &[Finding]) -> Vec<(&str, Option<Pos>)> {
        findings.iter().map(|f| (f.code, f.pos)).collect()
    }

    #[test]
    fn the_fixture_incident_loads_every_key() {
        let s = load_scenario(&root().join("tests/fixtures/incidents/retry-storm.yaml"))
            .expect("valid incident");
        let i = s.incident.expect("an incident");
        assert_eq!(i.source.organisation, "whatif");
        assert_eq!(i.source.date, "2024-05-17");
        assert_eq!(i.source.url, None);
        assert_eq!(i.detected_at_s, 240.0);
        let names: Vec<(&str, f64, bool)> = i
            .remedies
            .iter()
            .map(|r| (r.name.as_str(), r.at_s, r.works))
            .collect();
        assert_eq!(
            names,
            [
                ("turn off client retries", 300.0, true),
                ("add two replicas", 300.0, false)
            ]
        );
        let m = &s.loaded.model;
        let r = &i.remedies[1];
        assert_eq!(r.events.len(), 1);
        assert_eq!(r.events[0].at_s, 300.0);
        assert_eq!(
            r.events[0].action,
            Action::Scale {
                service: m.find("checkout-api").expect("service"),
                add: 2
            }
        );
        assert_eq!(i.debrief.len(), 2);
        assert!(i.debrief[1].answer.starts_with("A retry budget"));
        // A plain scenario is no incident.
        let plain = load_scenario(&root().join("scenarios/retry-storm-stays-down.yaml"))
            .expect("valid scenario");
        assert!(plain.incident.is_none());
    }

    #[test]
    fn remedy_actions_are_checked_as_events_are() {
        let text = format!(
            "{}detected_at: 4m\ndebrief: [ {{ question: q, answer: a }} ]\nremedies:\n\
             \x20 - name: one\n    at: 5m\n    works: true\n    why: w\n    actions:\n\
             \x20     - {{ down: checkout-apii }}\n\
             \x20     - {{ for: 1m, flush: checkout-api }}\n\
             \x20     - {{ scale: checkout-api=+1, flush: checkout-api }}\n\
             \x20     - {{ }}\n\
             \x20     - {{ for: 1m, surge: x0.5 }}\n\
             \x20 - name: two\n    at: 30m\n    works: false\n    why: \" \"\n    actions: []\n",
            head()
        );
        let found = findings("remedy-actions", &text);
        assert_eq!(
            codes(&found),
            [
                ("S004", Some(Pos::new(14, 17))),
                ("S008", Some(Pos::new(15, 16))),
                ("S003", Some(Pos::new(16, 42))),
                ("S002", Some(Pos::new(17, 9))),
                ("S009", Some(Pos::new(20, 9))),
                ("S019", Some(Pos::new(22, 10))),
                ("S002", Some(Pos::new(23, 14))),
            ],
            "{found:#?}"
        );
        assert_eq!(
            found[1].message,
            "`for` applies only to faults, and `flush` is an action"
        );
        assert_eq!(found[2].message, "action has both `scale` and `flush`");
    }

    #[test]
    fn a_shedding_remedy_may_last_a_while() {
        let text = format!(
            "{}detected_at: 4m\ndebrief: [ {{ question: q, answer: a }} ]\nremedies:\n\
             \x20 - {{ name: shed, at: 4m, works: true, why: w, actions: [ {{ for: 2m, surge: x0.5 }}, {{ flush: checkout-api }} ] }}\n",
            head()
        );
        let s = load("shed", &text).expect("valid incident");
        let events = &s.incident.expect("incident").remedies[0].events;
        assert_eq!(events.len(), 2);
        assert_eq!((events[0].at_s, events[0].for_s), (240.0, Some(120.0)));
        assert_eq!((events[1].at_s, events[1].for_s), (240.0, None));
    }

    #[test]
    fn incident_keys_come_together_and_are_not_blank() {
        let found = findings("together", &format!("{}detected_at: 20m\n", head()));
        let messages: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "an incident needs `remedies` too",
                "an incident needs `debrief` too",
                "`detected_at` 20m is the scenario's end: no time is left to act",
            ],
            "{found:#?}"
        );
        let text = format!(
            "{}detected_at: 25m\nremedies: []\ndebrief: [ {{ question: \"\", answer: a }} ]\n",
            head().replace("title: a test", "title: \" \", url: \"\"")
        );
        let found = findings("blank", &text);
        let got: Vec<(&str, &str)> = found.iter().map(|f| (f.code, f.message.as_str())).collect();
        assert_eq!(
            got,
            [
                ("S019", "`source.title` is empty"),
                ("S019", "`source.url` is empty"),
                (
                    "S009",
                    "`detected_at` 25m is after the scenario's end (20m)"
                ),
                ("S019", "`remedies` is empty"),
                ("S019", "`question` is empty"),
            ],
            "{found:#?}"
        );
    }

    #[test]
    fn an_event_without_at_is_still_a_missing_key() {
        let text = format!(
            "model: {}\nduration: 5m\nevents:\n  - {{ down: payments-db }}\n  - {{ at: 1m, down: nope }}\n",
            root().join("examples/checkout-retries.yaml").display()
        );
        let found = findings("no-at", &text);
        assert_eq!(
            codes(&found),
            [
                ("E004", Some(Pos::new(4, 5))),
                ("S004", Some(Pos::new(5, 21)))
            ]
        );
        assert_eq!(found[0].message, "missing key `at`");
    }

    #[test]
    fn dates_are_days_that_exist() {
        for good in ["2018-10-21", "2020-02-29", "2000-02-29", "1999-12-31"] {
            assert!(is_date(good), "{good}");
        }
        for bad in [
            "2018-10",
            "2018/10/21",
            "21-10-2018",
            "2019-02-29",
            "1900-02-29",
            "2018-13-01",
            "2018-00-10",
            "2018-04-31",
            "2018-1-21",
            "+018-10-21",
            "yesterday",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
    }
}
