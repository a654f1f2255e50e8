//! The `fix` game's menu: what a responder can do, built from the model,
//! each move with its cost in minutes — the time it takes to do, after
//! which it lands.
//!
//! | move | as a §3 action | cost |
//! | --- | --- | --- |
//! | shed half of user traffic for 5 minutes | `surge: x0.5`, `for: 5m` | 1m |
//! | shed a quarter of user traffic to the end | `surge: x0.75` | 1m |
//! | flush a service's queue | `flush` | 2m |
//! | turn a call's retries off | `set` `retries: 0` | 3m |
//! | give a call a retry budget of 10 % | `set` `retry_budget: 10%` | 3m |
//! | halve a call's timeout | `set` `timeout` | 3m |
//! | put a breaker on a call (opens at 50 % failures, for 30s) | `set` `circuit_breaker` | 3m |
//! | take a call's breaker off | `set` `circuit_breaker: none` | 3m |
//! | double a service's replicas | `scale` | 5m |
//! | roll back or restart a service (ends the faults on it) | `recover` | 5m |
//!
//! A move appears only when the model has something it can act on: a
//! queue to flush (a service with a `capacity` or `concurrency`), retries
//! to turn off, a timeout to halve, a breaker to take off.

use crate::model::{CircuitBreaker, Model, ServiceId};
use crate::sim::faults::{self, FaultKind, Scope};
use crate::sim::timeline::{Action, Event, PolicyChange, Recovery};
use crate::text::terminal;

use super::super::play::Names;

/// The kinds of move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// `surge: x0.5` for five minutes.
    ShedHalf,
    /// `surge: x0.75` to the end.
    ShedQuarter,
    /// `flush: S`.
    Flush,
    /// `set: { a->b: { retries: 0 } }`.
    RetriesOff,
    /// `set: { a->b: { retry_budget: 10% } }`.
    RetryBudget,
    /// `set: { a->b: { timeout: half } }`.
    HalveTimeout,
    /// `set: { a->b: { circuit_breaker: { threshold: 50%, open_for: 30s } } }`.
    BreakerOn,
    /// `set: { a->b: { circuit_breaker: none } }`.
    BreakerOff,
    /// `scale: S=+replicas`.
    Scale,
    /// `recover: S`.
    Recover,
}

/// How long shedding half the traffic lasts, seconds.
pub const SHED_FOR_S: f64 = 300.0;
/// The retry budget a move gives.
pub const BUDGET: f64 = 0.1;
/// The breaker a move puts on a call.
pub const BREAKER: CircuitBreaker = CircuitBreaker {
    threshold: 0.5,
    open_for_s: 30.0,
};

impl Move {
    /// Every move, in menu order.
    pub const ALL: [Move; 10] = [
        Move::ShedHalf,
        Move::ShedQuarter,
        Move::Flush,
        Move::RetriesOff,
        Move::RetryBudget,
        Move::HalveTimeout,
        Move::BreakerOn,
        Move::BreakerOff,
        Move::Scale,
        Move::Recover,
    ];

    /// What it does, for the menu.
    pub fn label(self) -> &'static str {
        match self {
            Move::ShedHalf => "shed half of user traffic for 5 minutes",
            Move::ShedQuarter => "shed a quarter of user traffic to the end",
            Move::Flush => "flush a service's queue",
            Move::RetriesOff => "turn a call's retries off",
            Move::RetryBudget => "give a call a retry budget of 10%",
            Move::HalveTimeout => "halve a call's timeout",
            Move::BreakerOn => "put a circuit breaker on a call",
            Move::BreakerOff => "take a call's circuit breaker off",
            Move::Scale => "double a service's replicas",
            Move::Recover => "roll back or restart a service (ends its faults)",
        }
    }

    /// How long it takes to do, seconds: it lands that long after the
    /// move before it (the first, after `detected_at`).
    pub fn cost_s(self) -> f64 {
        match self {
            Move::ShedHalf | Move::ShedQuarter => 60.0,
            Move::Flush => 120.0,
            Move::RetriesOff
            | Move::RetryBudget
            | Move::HalveTimeout
            | Move::BreakerOn
            | Move::BreakerOff => 180.0,
            Move::Scale | Move::Recover => 300.0,
        }
    }
}

/// What a move acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// All user traffic.
    Users,
    /// A service.
    Service(ServiceId),
    /// Every call from the first service to the second.
    Call(ServiceId, ServiceId),
}

impl Target {
    /// The target as typed: `checkout-api`, `storefront->checkout-api`.
    pub fn written(self, model: &Model) -> String {
        match self {
            Target::Users => "users".into(),
            Target::Service(s) => model.service(s).name.clone(),
            Target::Call(a, b) => format!("{}->{}", model.service(a).name, model.service(b).name),
        }
    }
}

/// One line of the menu: a move and what it can act on.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The move.
    pub kind: Move,
    /// What it can act on, in model order (`[Users]` for shedding).
    pub targets: Vec<Target>,
}

/// A move chosen, on its target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick {
    /// The move.
    pub kind: Move,
    /// What it acts on.
    pub target: Target,
}

impl Pick {
    /// The pick in words: `turn a call's retries off: storefront->checkout-api`.
    pub fn describe(&self, model: &Model) -> String {
        match self.target {
            Target::Users => self.kind.label().to_owned(),
            t => format!("{}: {}", self.kind.label(), t.written(model)),
        }
    }

    /// The timeline events of the pick, landing at `at_s`.
    pub fn events(&self, model: &Model, at_s: f64) -> Vec<Event> {
        let event = |action, for_s| Event {
            at_s,
            for_s,
            action,
        };
        let set = |from, to, change| Action::Set { from, to, change };
        let surge = |factor: &str| {
            // The factor is ours and valid for any model with entry traffic.
            faults::parse(FaultKind::Surge, factor, model)
                .map(Action::Fault)
                .ok()
        };
        let action = match (self.kind, self.target) {
            (Move::ShedHalf, _) => {
                return surge("x0.5")
                    .map(|a| event(a, Some(SHED_FOR_S)))
                    .into_iter()
                    .collect();
            }
            (Move::ShedQuarter, _) => surge("x0.75"),
            (Move::Flush, Target::Service(service)) => Some(Action::Flush { service }),
            (Move::Scale, Target::Service(service)) => Some(Action::Scale {
                service,
                add: model.service(service).replicas.max(1),
            }),
            (Move::Recover, Target::Service(s)) => Some(Action::Recover(Recovery::Service(s))),
            (kind, Target::Call(a, b)) => {
                let change = match kind {
                    Move::RetriesOff => PolicyChange {
                        retries: Some(0),
                        ..PolicyChange::default()
                    },
                    Move::RetryBudget => PolicyChange {
                        retry_budget: Some(Some(BUDGET)),
                        ..PolicyChange::default()
                    },
                    Move::HalveTimeout => PolicyChange {
                        timeout_s: Some(timeout(model, a, b).map(|t| t / 2.0)),
                        ..PolicyChange::default()
                    },
                    Move::BreakerOn => PolicyChange {
                        circuit_breaker: Some(Some(BREAKER)),
                        ..PolicyChange::default()
                    },
                    _ => PolicyChange {
                        circuit_breaker: Some(None),
                        ..PolicyChange::default()
                    },
                };
                Some(set(a, b, change))
            }
            _ => None,
        };
        action.map(|a| event(a, None)).into_iter().collect()
    }
}

/// The menu of a model: every move with something to act on.
#[derive(Debug, Clone, PartialEq)]
pub struct Menu {
    /// The lines, numbered from 1 when shown.
    pub items: Vec<Item>,
}

/// The calls of a model: each (caller, callee) pair of a dependency, in
/// model order, once.
fn calls(model: &Model) -> Vec<(ServiceId, ServiceId)> {
    let mut out = Vec::new();
    for a in model.service_ids() {
        for op in &model.service(a).operations {
            for dep in &op.depends_on {
                let pair = (a, dep.target.service);
                if !out.contains(&pair) {
                    out.push(pair);
                }
            }
        }
    }
    out
}

/// The dependencies from `a` to `b`.
fn deps(
    model: &Model,
    a: ServiceId,
    b: ServiceId,
) -> impl Iterator<Item = &crate::model::Dependency> {
    model
        .service(a)
        .operations
        .iter()
        .flat_map(|op| op.depends_on.iter())
        .filter(move |d| d.target.service == b)
}

/// The timeout of the first dependency from `a` to `b` that has one.
fn timeout(model: &Model, a: ServiceId, b: ServiceId) -> Option<f64> {
    deps(model, a, b).find_map(|d| d.timeout_s)
}

impl Menu {
    /// The menu for `model`.
    pub fn new(model: &Model) -> Menu {
        let calls = calls(model);
        let services: Vec<ServiceId> = model.service_ids().collect();
        let on_calls = |keep: &dyn Fn(&crate::model::Dependency) -> bool| -> Vec<Target> {
            calls
                .iter()
                .filter(|(a, b)| deps(model, *a, *b).any(keep))
                .map(|&(a, b)| Target::Call(a, b))
                .collect()
        };
        let has_users = model.entry_points().next().is_some();
        let items = Move::ALL
            .iter()
            .map(|&kind| {
                let targets = match kind {
                    Move::ShedHalf | Move::ShedQuarter if has_users => vec![Target::Users],
                    Move::ShedHalf | Move::ShedQuarter => Vec::new(),
                    Move::Flush => services
                        .iter()
                        .filter(|&&s| {
                            let svc = model.service(s);
                            svc.capacity.is_some() || svc.concurrency.is_some()
                        })
                        .map(|&s| Target::Service(s))
                        .collect(),
                    Move::RetriesOff => on_calls(&|d| d.retries > 0),
                    Move::RetryBudget => on_calls(&|d| d.retries > 0 && d.retry_budget.is_none()),
                    Move::HalveTimeout => on_calls(&|d| d.timeout_s.is_some()),
                    Move::BreakerOn => on_calls(&|d| d.circuit_breaker.is_none()),
                    Move::BreakerOff => on_calls(&|d| d.circuit_breaker.is_some()),
                    Move::Scale | Move::Recover => {
                        services.iter().map(|&s| Target::Service(s)).collect()
                    }
                };
                Item { kind, targets }
            })
            .filter(|item| !item.targets.is_empty())
            .collect();
        Menu { items }
    }

    /// The menu as lines: number, move, cost.
    pub fn lines(&self) -> Vec<String> {
        let width = self
            .items
            .iter()
            .map(|i| i.kind.label().chars().count())
            .max()
            .unwrap_or(0);
        self.items
            .iter()
            .enumerate()
            .map(|(n, item)| {
                format!(
                    "{:>3}. {:<width$}  {}",
                    n + 1,
                    item.kind.label(),
                    crate::text::duration(item.kind.cost_s())
                )
            })
            .collect()
    }

    /// The item a typed number names (from 1).
    pub fn item(&self, text: &str) -> Result<&Item, String> {
        let n: usize = text
            .trim()
            .parse()
            .map_err(|_| format!("`{}` is not a move: type its number", terminal(text.trim())))?;
        n.checked_sub(1)
            .and_then(|i| self.items.get(i))
            .ok_or_else(|| {
                format!(
                    "there is no move {n}: the moves are 1 to {}",
                    self.items.len()
                )
            })
    }

    /// The target of `item` that `text` names: a service by name (any
    /// case), a call as `caller->callee`.
    pub fn target(&self, model: &Model, item: &Item, text: &str) -> Result<Target, String> {
        let text = text.trim();
        if let [only] = item.targets.as_slice() {
            return Ok(*only);
        }
        let wanted = match item.targets.first() {
            Some(Target::Call(..)) => {
                let fault = faults::parse(FaultKind::Cut, text, model).map_err(|e| e.message)?;
                match fault.scope {
                    Scope::Link(a, b) => Target::Call(a, b),
                    _ => {
                        return Err(format!(
                            "`{}` is not a call `caller->callee`",
                            terminal(text)
                        ));
                    }
                }
            }
            _ => Target::Service(Names::new(model).one(text)?),
        };
        if item.targets.contains(&wanted) {
            return Ok(wanted);
        }
        Err(format!(
            "{} cannot act on `{}`; it can on: {}",
            item.kind.label(),
            terminal(&wanted.written(model)),
            self.candidates(model, item)
        ))
    }

    /// What `item` can act on, listed for the player.
    pub fn candidates(&self, model: &Model, item: &Item) -> String {
        let names: Vec<String> = item.targets.iter().map(|t| t.written(model)).collect();
        terminal(&names.join(", ")).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_str;

    const SHOP: &str = "services:\n  web: { entry: { rps: 100 }, depends_on: [{ to: api, retries: 2, timeout: 1s }, recs] }\n  api: { capacity: 50, replicas: 2, depends_on: [{ to: db, circuit_breaker: { threshold: 50%, open_for: 10s } }] }\n  db: {}\n  recs: {}\n";

    fn model() -> Model {
        load_str(SHOP, "t.yaml").expect("valid").model
    }

    #[test]
    fn the_menu_offers_what_the_model_can_act_on() {
        let m = model();
        let menu = Menu::new(&m);
        let shown: Vec<(Move, Vec<String>)> = menu
            .items
            .iter()
            .map(|i| (i.kind, i.targets.iter().map(|t| t.written(&m)).collect()))
            .collect();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            shown,
            [
                (Move::ShedHalf, s(&["users"])),
                (Move::ShedQuarter, s(&["users"])),
                (Move::Flush, s(&["api"])),
                (Move::RetriesOff, s(&["web->api"])),
                (Move::RetryBudget, s(&["web->api"])),
                (Move::HalveTimeout, s(&["web->api"])),
                (Move::BreakerOn, s(&["web->api", "web->recs"])),
                (Move::BreakerOff, s(&["api->db"])),
                (Move::Scale, s(&["web", "api", "db", "recs"])),
                (Move::Recover, s(&["web", "api", "db", "recs"])),
            ]
        );
        assert_eq!(
            menu.lines()[2],
            "  3. flush a service's queue                           2m"
        );
    }

    #[test]
    fn typed_numbers_and_targets_are_checked() {
        let m = model();
        let menu = Menu::new(&m);
        assert!(menu.item("0").unwrap_err().contains("1 to 10"));
        assert!(menu.item("x").unwrap_err().contains("not a move"));
        let breaker = menu.item("7").expect("item");
        assert_eq!(
            menu.target(&m, breaker, "web->recs"),
            Ok(Target::Call(
                m.find("web").unwrap(),
                m.find("recs").unwrap()
            ))
        );
        let e = menu.target(&m, breaker, "api->db").unwrap_err();
        assert!(e.contains("it can on: web->api, web->recs"), "{e}");
        assert!(menu.target(&m, breaker, "web->dbb").is_err());
        let scale = menu.item("9").expect("item");
        assert!(menu.target(&m, scale, "API").is_ok());
        assert!(
            menu.target(&m, scale, "apo")
                .unwrap_err()
                .contains("did you mean `api`")
        );
        // A move with one target needs none typed.
        let flush = menu.item("3").expect("item");
        assert_eq!(
            menu.target(&m, flush, ""),
            Ok(Target::Service(m.find("api").unwrap()))
        );
    }

    #[test]
    fn picks_become_the_actions_scenarios_write() {
        let m = model();
        let id = |n: &str| m.find(n).unwrap();
        let describe = |kind, target| {
            let p = Pick { kind, target };
            p.events(&m, 60.0)
                .iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        e.action.describe(&m),
                        e.for_s.map_or("".into(), crate::text::duration)
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(describe(Move::ShedHalf, Target::Users), ["--surge x0.5 5m"]);
        assert_eq!(
            describe(Move::Scale, Target::Service(id("api"))),
            ["scale api +2 "]
        );
        assert_eq!(
            describe(Move::HalveTimeout, Target::Call(id("web"), id("api"))),
            ["set web->api: timeout 500ms "]
        );
        assert_eq!(
            describe(Move::RetryBudget, Target::Call(id("web"), id("api"))),
            ["set web->api: retry budget 10% "]
        );
        assert_eq!(
            describe(Move::Recover, Target::Service(id("db"))),
            ["recover db "]
        );
    }
}
