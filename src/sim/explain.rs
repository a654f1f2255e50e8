//! From solved numbers to states and stories: each service and operation
//! gets its state (docs/engine.md: the thresholds plus the structural reasons for
//! `degraded`), one sentence of `because` naming the dependency or the local
//! cause with the numbers behind it, and the chain back to a fault.

use super::dist::Dist;
use super::faults::{Fault, FaultKind};
use super::steady::{Conditions, Engine, Figures, Outcome, Situation, Solved, State};
use crate::model::{Criticality, Fallback, Mode, Phase, ServiceId};
use crate::text::{duration, number};

/// A candidate reason for an operation's state.
struct Cause {
    state: State,
    text: String,
    chain: Vec<ServiceId>,
    /// Larger wins among causes of the same state.
    weight: f64,
}

/// `12.5%`, `99.95%`, `100%`.
pub fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 99.0 && p < 100.0 {
        format!("{}%", number((p * 100.0).floor() / 100.0))
    } else if p > 0.0 && p < 1.0 {
        format!("{}%", number((p * 100.0).round() / 100.0))
    } else {
        format!("{}%", number(p.round()))
    }
}

/// `250ms`, `2.4s`, `∞`.
pub fn latency(seconds: f64) -> String {
    if seconds.is_infinite() {
        "∞".into()
    } else if seconds < 1.0 {
        format!("{}ms", number((seconds * 1000.0 * 10.0).round() / 10.0))
    } else {
        format!("{}s", number((seconds * 100.0).round() / 100.0))
    }
}

/// A rate for people: `2,400`, `12.3`.
pub fn rate(x: f64) -> String {
    if !x.is_finite() {
        return "∞".into();
    }
    if x >= 100.0 {
        format_thousands(x.round())
    } else {
        number((x * 10.0).round() / 10.0)
    }
}

fn format_thousands(x: f64) -> String {
    let digits = format!("{}", x as i64);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Engine<'_> {
    /// States, reasons and chains for a solved run.
    pub(super) fn explain(
        &self,
        faults: &[Fault],
        cond: &Conditions,
        situation: &Situation,
        s: &Solved,
        baseline: &Solved,
    ) -> Outcome {
        let model = self.model;
        let t = model.thresholds;
        let n = model.services().len();
        let mut services: Vec<Option<Figures>> = vec![None; n];
        let mut operations: Vec<Vec<Option<Figures>>> = model
            .services()
            .iter()
            .map(|sv| vec![None; sv.operations.len()])
            .collect();

        for scc in &self.sccs_callees_first {
            for &id in scc {
                let svc = model.service(id);
                let i = id.index();
                let mut op_figures = Vec::with_capacity(svc.operations.len());
                for oi in 0..svc.operations.len() {
                    let d = &s.dists[i][oi];
                    let success = d.success();
                    let lat = d.mean_latency();
                    let base = baseline.dists[i][oi].mean_latency();
                    let load = s.load[i][oi];
                    let nominal = s.nominal[i][oi];
                    let mut causes = self.local_causes(id, faults, cond, situation, s, &services);
                    causes.extend(self.dependency_causes(
                        id,
                        oi,
                        situation,
                        cond,
                        s,
                        baseline,
                        &services,
                        &operations,
                    ));
                    let numeric = numeric_state(success, lat, base, &t);
                    let structural = causes
                        .iter()
                        .map(|c| c.state)
                        .max()
                        .unwrap_or(State::Healthy);
                    // Slow only from the numbers; degraded and down from either.
                    let state = numeric.max(if structural == State::Slow {
                        State::Healthy
                    } else {
                        structural.min(State::Degraded)
                    });
                    let pick = causes
                        .iter()
                        .filter(|c| {
                            c.state >= state.min(State::Degraded)
                                || (state == State::Slow && c.state == State::Slow)
                        })
                        .max_by(|a, b| a.state.cmp(&b.state).then(a.weight.total_cmp(&b.weight)))
                        .or_else(|| {
                            causes.iter().max_by(|a, b| {
                                a.state.cmp(&b.state).then(a.weight.total_cmp(&b.weight))
                            })
                        });
                    let (because, chain) = match pick {
                        Some(c) if state != State::Healthy || !c.text.is_empty() => {
                            // A second reason of the same severity completes
                            // the story ("serving stale copies; also cache
                            // misses fail").
                            let also = causes
                                .iter()
                                .filter(|o| {
                                    o.state == c.state
                                        && o.text != c.text
                                        && o.state >= State::Degraded
                                })
                                .max_by(|a, b| a.weight.total_cmp(&b.weight));
                            let text = match also {
                                Some(o) => format!("{}; also {}", c.text, o.text),
                                None => c.text.clone(),
                            };
                            (text, c.chain.clone())
                        }
                        _ => (String::new(), Vec::new()),
                    };
                    let because = match (state, because.is_empty()) {
                        (State::Down | State::Degraded, true) => {
                            format!("{} of requests succeed", percent(success))
                        }
                        (State::Slow, true) => {
                            format!("answers in {} (normally {})", latency(lat), latency(base))
                        }
                        _ => because,
                    };
                    let mut chain = chain;
                    if state != State::Healthy && chain.last() != Some(&id) {
                        chain.push(id);
                    }
                    op_figures.push(Figures {
                        state,
                        success,
                        latency_s: lat,
                        load_rps: load,
                        amplification: if nominal > 1e-12 { load / nominal } else { 1.0 },
                        because,
                        chain,
                    });
                }
                services[i] = Some(service_figures(
                    svc.declares_operations,
                    &svc.operations
                        .iter()
                        .map(|o| o.name.as_str())
                        .collect::<Vec<_>>(),
                    &op_figures,
                    &s.load[i],
                    &s.nominal[i],
                ));
                for (oi, f) in op_figures.into_iter().enumerate() {
                    operations[i][oi] = Some(f);
                }
            }
        }
        Outcome {
            converged: s.converged,
            iterations: s.iterations,
            services: services
                .into_iter()
                .map(|f| f.unwrap_or_else(healthy))
                .collect(),
            operations: operations
                .into_iter()
                .map(|ops| ops.into_iter().map(|f| f.unwrap_or_else(healthy)).collect())
                .collect(),
            edges: Vec::new(),
            admission: Vec::new(),
        }
    }

    /// Causes that sit in the service itself: its faults, its replicas, its load.
    fn local_causes(
        &self,
        id: ServiceId,
        faults: &[Fault],
        cond: &Conditions,
        situation: &Situation,
        s: &Solved,
        services: &[Option<Figures>],
    ) -> Vec<Cause> {
        let svc = self.model.service(id);
        let i = id.index();
        let a = s.admission[i];
        let me = vec![id];
        let mut causes = Vec::new();
        let replicas = self.replicas(id, situation);
        let crashed = cond.crashed[i].min(replicas);
        let flags: Vec<String> = cond.touched_by[i]
            .iter()
            .map(|&f| faults[f].as_flag())
            .collect();
        let by = if flags.is_empty() {
            String::new()
        } else {
            format!(" ({})", flags.join(", "))
        };
        if a.refused {
            let text = if crashed >= replicas {
                format!("crashed: every replica is down{by}")
            } else {
                format!(
                    "only {} of {replicas} replicas are up and it needs {}{by}",
                    replicas - crashed,
                    svc.quorum
                )
            };
            causes.push(Cause {
                state: State::Down,
                text,
                chain: me.clone(),
                weight: 10.0,
            });
            return causes;
        }
        if a.hung > 0.0 {
            let text = if a.hung >= 1.0 {
                format!("hung: accepts calls and never answers{by}")
            } else {
                format!(
                    "{} of requests land on hung replicas and never return{by}",
                    percent(a.hung)
                )
            };
            causes.push(Cause {
                state: if a.hung >= 1.0 {
                    State::Down
                } else {
                    State::Degraded
                },
                text,
                chain: me.clone(),
                weight: 9.0,
            });
        }
        if cond.errors[i] > 0.0 {
            // Errors degrade only when the share that still succeeds is
            // below the threshold; a smaller share is a note.
            let t = self.model.thresholds;
            causes.push(Cause {
                state: if crate::model::below(1.0 - cond.errors[i], t.degraded_below) {
                    State::Degraded
                } else {
                    State::Healthy
                },
                text: format!(
                    "{} of its requests fail at once{by}",
                    percent(cond.errors[i])
                ),
                chain: me.clone(),
                weight: 8.0 + cond.errors[i],
            });
        }
        if !cond.slow[i].is_empty() {
            causes.push(Cause {
                state: State::Slow,
                text: format!("its own work is slowed{by}"),
                chain: me.clone(),
                weight: 5.0,
            });
        }
        if faults
            .iter()
            .any(|f| f.kind == FaultKind::Cold && f.services(self.model).contains(&id))
        {
            causes.push(Cause {
                state: State::Healthy,
                text: format!("cold: its hit ratio climbs back as it warms up{by}"),
                chain: me.clone(),
                weight: 0.0,
            });
        }
        let load: f64 = s.load[i].iter().sum();
        if a.admitted < 1.0 || a.wait.is_infinite() {
            let holder = self.slowest_dependency(id, s);
            let text = if a.pool_bound {
                let concurrency = svc.concurrency.unwrap_or(0.0);
                let waiting = holder.map_or(String::new(), |(e, lat)| {
                    let dep = self.dep(e);
                    let name = &self.model.service(dep.target.service).name;
                    match &dep.cache {
                        Some(c) => format!(
                            ", {} of it on {name} lookups and their misses to {}",
                            latency(lat),
                            self.model.service(c.on_miss).name
                        ),
                        None => {
                            let bound =
                                dep.timeout_s.map_or("without a timeout".to_string(), |t| {
                                    format!("up to {}", duration(t))
                                });
                            format!(", {} of it waiting on {name} ({bound})", latency(lat))
                        }
                    }
                });
                format!(
                    "pool exhausted: needs {} in flight per replica, holds {}, because requests take {} each{waiting}",
                    rate(a.per_replica * a.held),
                    rate(concurrency),
                    latency(a.held)
                )
            } else if a.wait.is_infinite() {
                format!(
                    "overloaded: {} rps per replica against a capacity of {}; with no queue bound the backlog grows without end",
                    rate(a.per_replica),
                    rate(a.throughput)
                )
            } else {
                format!(
                    "overloaded: {} rps per replica against a capacity of {}; {} rejected",
                    rate(a.per_replica),
                    rate(a.throughput),
                    percent(1.0 - a.admitted)
                )
            };
            let text = if a.pool_bound && a.wait.is_infinite() {
                format!("{text}; the queue grows without end")
            } else {
                text
            };
            // The chain goes through the dependency that holds the slots.
            let chain = match holder {
                Some((e, _)) if a.pool_bound => {
                    let dep = self.dep(e);
                    let t = dep.target.service;
                    let mut c = services[t.index()]
                        .as_ref()
                        .filter(|f| !f.chain.is_empty())
                        .map_or_else(
                            || self.cache_root(dep, situation).unwrap_or(vec![t]),
                            |f| f.chain.clone(),
                        );
                    c.push(id);
                    c
                }
                _ => me.clone(),
            };
            causes.push(Cause {
                state: State::Degraded,
                text,
                chain,
                weight: 7.0,
            });
        } else if a.rho >= 0.8 && a.wait > 0.0 {
            causes.push(Cause {
                state: State::Slow,
                text: format!(
                    "busy: {} of capacity in use, requests queue {}",
                    percent(a.rho),
                    latency(a.wait)
                ),
                chain: me.clone(),
                weight: 4.0,
            });
        }
        let lost = crashed + cond.hung[i].min(replicas - crashed);
        if lost > 0 && !a.refused && a.admitted >= 1.0 && a.hung == 0.0 {
            let util = svc
                .capacity
                .map(|c| format!(" at {} of capacity", percent(a.per_replica / c)))
                .unwrap_or_default();
            causes.push(Cause {
                state: State::Slow,
                text: {
                    let left = replicas - lost;
                    let carry = if load <= 0.0 {
                        String::new()
                    } else if left == 1 {
                        format!("; the last replica carries {} rps{util}", rate(load))
                    } else {
                        format!("; the other {left} carry {} rps{util}", rate(load))
                    };
                    format!("lost {lost} of {replicas} replicas{carry}{by}")
                },
                chain: me,
                // Ranked with the latency notes (it explains a slowdown, never
                // a failure) and above a plain "busy".
                weight: 4.5,
            });
        }
        causes
    }

    /// Causes that come from the operation's dependencies.
    #[allow(clippy::too_many_arguments)]
    fn dependency_causes(
        &self,
        id: ServiceId,
        oi: usize,
        situation: &Situation,
        cond: &Conditions,
        s: &Solved,
        baseline: &Solved,
        services: &[Option<Figures>],
        operations: &[Vec<Option<Figures>>],
    ) -> Vec<Cause> {
        let model = self.model;
        let t = model.thresholds;
        let op = &model.service(id).operations[oi];
        let mut causes = Vec::new();
        for (di, dep) in op.depends_on.iter().enumerate() {
            let e = self.edge_index(id, oi, di);
            // Startup edges do not touch a running caller; a call back into
            // its own cycle re-enters it and explains nothing.
            if dep.phase == Phase::Startup || self.is_back_edge(e) {
                continue;
            }
            let flow = &s.flows[e];
            let target = dep.target.service;
            let tname = &model.service(target).name;
            let target_fig = match dep.target.operation {
                Some(o) => operations[target.index()][o].as_ref(),
                None => services[target.index()].as_ref(),
            };
            let (tstate, tchain) = target_fig.map_or((State::Healthy, vec![target]), |f| {
                (
                    f.state,
                    if f.chain.is_empty() {
                        vec![target]
                    } else {
                        f.chain.clone()
                    },
                )
            });
            // A cut link makes a healthy target look down to this caller.
            let cut = cond.cuts.contains(&(id.0, target.0));
            let tstate = if cut { State::Down } else { tstate };
            let with = |mut chain: Vec<ServiceId>| {
                chain.push(id);
                chain
            };
            let waits = dep.phase == Phase::Request
                && (dep.mode == Mode::Sync || situation.buffer_full.contains(&e));
            if !waits {
                // Hand-offs are delayed while the callee is down or slow.
                if tstate >= State::Slow
                    || crate::model::above(flow.attempt_failure, 1.0 - t.degraded_below)
                {
                    let text = if dep.phase == Phase::Background {
                        format!("background dependency {tname} is {}", tstate.as_str())
                    } else {
                        let fill = self.buffer_fill(id, oi, dep.calls, dep.buffer, s);
                        format!(
                            "hand-offs to {tname} are delayed ({tname} is {}){fill}",
                            tstate.as_str()
                        )
                    };
                    causes.push(Cause {
                        state: State::Degraded,
                        text,
                        chain: with(tchain),
                        weight: 3.0,
                    });
                }
                continue;
            }
            // Failure share of one attempt, before a fallback or softness forgave it.
            let raw_fail = flow.attempt_failure;
            let call_fail = flow.call.failure();
            let timeout_note = |d: &Dist| -> String {
                match dep.timeout_s {
                    Some(to)
                        if d.atoms
                            .iter()
                            .any(|a| !a.ok && (a.latency - to).abs() < 1e-9 || a.latency > to) =>
                    {
                        format!("; calls time out after {}", duration(to))
                    }
                    _ => String::new(),
                }
            };
            let answer = self.answer_in(dep, s);
            let tlat = answer.mean_latency();
            if flow.breaker_open {
                let text = match (s.opened_at.get(&e), dep.circuit_breaker) {
                    (Some(share), Some(b)) => format!(
                        "breaker on {tname} is open: calls fail fast ({} of attempts failed with it closed, above its {})",
                        percent(*share),
                        percent(b.threshold)
                    ),
                    (None, Some(b)) if situation.forced_open.contains(&e) => format!(
                        "breaker on {tname} is open: calls fail fast until its next probe (it stays open {})",
                        duration(b.open_for_s)
                    ),
                    _ => format!(
                        "breaker on {tname} is open: calls fail fast ({tname} is {})",
                        tstate.as_str()
                    ),
                };
                let state = if dep.criticality == Criticality::Soft || dep.fallback.is_some() {
                    State::Degraded
                } else {
                    State::Down
                };
                // Above a plain failing dependency: the open breaker is what
                // the caller acts on (and often what set off a retry storm).
                causes.push(Cause {
                    state,
                    text,
                    chain: with(tchain.clone()),
                    weight: 6.5,
                });
                continue;
            }
            if let Some(c) = &dep.cache {
                let miss = &model.service(c.on_miss).name;
                let warm = situation.warmth.get(target.index()).copied().unwrap_or(1.0);
                if flow.protection_used || crate::model::above(call_fail, 1.0 - t.degraded_below) {
                    let why = if tstate == State::Down || answer.failure() > 0.5 {
                        format!(
                            "cache {tname} is {}; every call goes to {miss}",
                            tstate.as_str()
                        )
                    } else if warm < 1.0 {
                        format!(
                            "cache {tname} is cold: {} of calls miss and go to {miss} until it warms up ({})",
                            percent(flow.alt_share),
                            duration(c.warm_up_s * (1.0 - warm))
                        )
                    } else if crate::model::above(call_fail, 1.0 - t.degraded_below) {
                        format!(
                            "cache misses go to {miss}, which fails them: {} of calls fail",
                            percent(call_fail)
                        )
                    } else {
                        format!(
                            "cache {tname} misses {} of calls; they go to {miss}",
                            percent(flow.alt_share)
                        )
                    };
                    let state = if !crate::model::below(call_fail, 1.0 - t.down_below) {
                        State::Down
                    } else if tstate == State::Down
                        || warm < 1.0
                        || answer.failure() > 0.5
                        || crate::model::above(call_fail, 1.0 - t.degraded_below)
                    {
                        State::Degraded
                    } else {
                        State::Healthy
                    };
                    let chain = if crate::model::above(call_fail, 1.0 - t.degraded_below) {
                        let miss_fig = services[c.on_miss.index()].as_ref();
                        miss_fig.map_or(vec![c.on_miss], |f| {
                            if f.chain.is_empty() {
                                vec![c.on_miss]
                            } else {
                                f.chain.clone()
                            }
                        })
                    } else {
                        tchain.clone()
                    };
                    causes.push(Cause {
                        state,
                        text: format!("{why}{}", timeout_note(&flow.call)),
                        chain: with(chain),
                        weight: 5.0,
                    });
                }
                continue;
            }
            match (&dep.fallback, dep.criticality) {
                (Some(Fallback::ServeStale { for_s }), Criticality::Hard)
                    if flow.protection_used =>
                {
                    let text = format!(
                        "{tname} is {}; serving stale copies (fallback, {})",
                        tstate.as_str(),
                        duration(*for_s)
                    );
                    causes.push(Cause {
                        state: State::Degraded,
                        text,
                        chain: with(tchain.clone()),
                        weight: 6.0,
                    });
                    continue;
                }
                (Some(Fallback::Failover { to }), Criticality::Hard) if flow.protection_used => {
                    let alt = &model.service(*to).name;
                    let alt_down = crate::model::above(call_fail, 1.0 - t.down_below);
                    let text = if alt_down {
                        format!(
                            "{tname} is {} and so is its failover {alt}",
                            tstate.as_str()
                        )
                    } else {
                        format!("{tname} is {}; failed over to {alt}", tstate.as_str())
                    };
                    let state = if alt_down {
                        State::Down
                    } else {
                        State::Degraded
                    };
                    causes.push(Cause {
                        state,
                        text,
                        chain: with(tchain.clone()),
                        weight: 6.0,
                    });
                    continue;
                }
                _ => {}
            }
            if dep.criticality == Criticality::Soft {
                if crate::model::above(raw_fail, 1.0 - t.degraded_below) {
                    let text = format!(
                        "soft dependency {tname} fails {} of calls; serving without it{}",
                        percent(raw_fail),
                        timeout_note(&answer.clone().with_timeout(dep.timeout_s))
                    );
                    causes.push(Cause {
                        state: State::Degraded,
                        text,
                        chain: with(tchain.clone()),
                        weight: 4.0 + raw_fail,
                    });
                }
            } else if crate::model::above(call_fail, 1.0 - t.degraded_below) {
                let timed_out = dep
                    .timeout_s
                    .is_some_and(|to| answer.atoms.iter().any(|a| a.latency > to));
                let text = if cut {
                    match dep.timeout_s {
                        Some(to) => format!(
                            "the link to {tname} is cut: calls get no answer and time out after {}",
                            duration(to)
                        ),
                        None => format!(
                            "the link to {tname} is cut: calls get no answer and, with no timeout, wait forever"
                        ),
                    }
                } else if timed_out && tstate != State::Down {
                    format!(
                        "calls to {tname} time out after {} ({tname} answers in {}); {} of calls fail",
                        duration(dep.timeout_s.unwrap_or(0.0)),
                        latency(tlat),
                        percent(call_fail)
                    )
                } else if dep.timeout_s.is_none() && answer.has_unbounded() {
                    format!("waits forever on {tname}: it never answers and there is no timeout")
                } else {
                    format!(
                        "hard dependency {tname} is {} ({} of calls fail)",
                        tstate.as_str(),
                        percent(call_fail)
                    )
                };
                let state = if !crate::model::below(call_fail, 1.0 - t.down_below) {
                    State::Down
                } else {
                    State::Degraded
                };
                causes.push(Cause {
                    state,
                    text,
                    chain: with(tchain.clone()),
                    weight: 5.0 + call_fail,
                });
            } else if tstate == State::Degraded || tstate == State::Down {
                let text = format!("hard dependency {tname} is {}", tstate.as_str());
                causes.push(Cause {
                    state: State::Degraded,
                    text,
                    chain: with(tchain.clone()),
                    weight: 3.0,
                });
            }
            // Latency added by this dependency.
            let base_answer = self.answer_in(dep, baseline);
            let added =
                flow.call.mean_latency() - base_answer.with_timeout(dep.timeout_s).mean_latency();
            if added >= t.slow_min_s || added.is_infinite() {
                let text = format!(
                    "{tname} answers in {} (normally {})",
                    latency(tlat),
                    latency(self.answer_in(dep, baseline).mean_latency())
                );
                causes.push(Cause {
                    state: State::Slow,
                    text,
                    chain: with(tchain),
                    weight: 5.0 + added.min(1e9),
                });
            }
        }
        causes
    }

    /// The dependency whose calls take longest per request (mean over the
    /// service's operations, weighted by their load), with that time.
    fn slowest_dependency(&self, id: ServiceId, s: &Solved) -> Option<(usize, f64)> {
        let svc = self.model.service(id);
        let total: f64 = s.load[id.index()].iter().sum();
        let mut best: Option<(usize, f64)> = None;
        for (oi, op) in svc.operations.iter().enumerate() {
            let w = if total > 0.0 {
                s.load[id.index()][oi] / total
            } else {
                1.0 / svc.operations.len() as f64
            };
            for (di, dep) in op.depends_on.iter().enumerate() {
                if dep.phase != Phase::Request || dep.mode != Mode::Sync {
                    continue;
                }
                let e = self.edge_index(id, oi, di);
                let held = w * f64::from(dep.calls) * s.flows[e].call.mean_latency();
                if best.is_none_or(|(_, b)| held > b) {
                    best = Some((e, held));
                }
            }
        }
        best
    }

    /// `[cache]` when a cache edge's cache is cold: the root of its misses.
    fn cache_root(
        &self,
        dep: &crate::model::Dependency,
        situation: &Situation,
    ) -> Option<Vec<ServiceId>> {
        let t = dep.target.service;
        (dep.cache.is_some() && situation.warmth.get(t.index()).copied().unwrap_or(1.0) < 1.0)
            .then(|| vec![t])
    }

    fn answer_in(&self, dep: &crate::model::Dependency, s: &Solved) -> Dist {
        let t = dep.target;
        match t.operation {
            Some(o) => s.dists[t.service.index()][o].clone(),
            None => {
                let w = crate::sim::steady::split_weights(self.model, t.service);
                Dist::mix(
                    s.dists[t.service.index()]
                        .iter()
                        .zip(w)
                        .map(|(d, w)| d.clone().scaled(w)),
                )
            }
        }
    }

    /// "; the buffer of 50,000 fills in 4m10s" for an async edge whose callee
    /// is not taking work.
    fn buffer_fill(
        &self,
        id: ServiceId,
        oi: usize,
        calls: u32,
        buffer: Option<f64>,
        s: &Solved,
    ) -> String {
        let rate = s.load[id.index()][oi] * s.admission[id.index()].processed() * f64::from(calls);
        match buffer {
            Some(b) if rate > 0.0 => format!(
                "; its buffer of {} fills in {}",
                format_thousands(b),
                duration((b / rate).round())
            ),
            Some(_) => String::new(),
            None => "; its buffer has no bound".into(),
        }
    }
}

fn numeric_state(success: f64, lat: f64, base: f64, t: &crate::model::Thresholds) -> State {
    use crate::model::below;
    if below(success, t.down_below) {
        State::Down
    } else if below(success, t.degraded_below) {
        State::Degraded
    } else if lat.is_infinite() || (lat >= t.slow_factor * base && lat - base >= t.slow_min_s) {
        State::Slow
    } else {
        State::Healthy
    }
}

fn healthy() -> Figures {
    Figures {
        state: State::Healthy,
        success: 1.0,
        latency_s: 0.0,
        load_rps: 0.0,
        amplification: 1.0,
        because: String::new(),
        chain: Vec::new(),
    }
}

/// A service's figures from its operations': worst state (down only when all
/// are down), load-weighted success and latency (equal weights at zero load).
fn service_figures(
    declares: bool,
    names: &[&str],
    ops: &[Figures],
    load: &[f64],
    nominal: &[f64],
) -> Figures {
    let total: f64 = load.iter().sum();
    let weights: Vec<f64> = if total > 0.0 {
        load.iter().map(|l| l / total).collect()
    } else {
        vec![1.0 / ops.len() as f64; ops.len()]
    };
    let success = ops
        .iter()
        .zip(&weights)
        .map(|(f, w)| f.success * w)
        .sum::<f64>()
        .clamp(0.0, 1.0);
    let latency_s = if ops
        .iter()
        .zip(&weights)
        .any(|(f, w)| *w > 0.0 && f.latency_s.is_infinite())
    {
        f64::INFINITY
    } else {
        ops.iter().zip(&weights).map(|(f, w)| f.latency_s * w).sum()
    };
    let all_down = ops.iter().all(|f| f.state == State::Down);
    let worst = ops.iter().map(|f| f.state).max().unwrap_or(State::Healthy);
    let state = if worst == State::Down && !all_down {
        State::Degraded
    } else {
        worst
    };
    let nominal_total: f64 = nominal.iter().sum();
    let amplification = if nominal_total > 1e-12 {
        total / nominal_total
    } else {
        1.0
    };
    let worst_op = ops
        .iter()
        .enumerate()
        .filter(|(_, f)| f.state == worst)
        .max_by(|a, b| {
            a.1.because
                .is_empty()
                .cmp(&b.1.because.is_empty())
                .reverse()
                .then(b.0.cmp(&a.0))
        });
    let (because, chain) = match worst_op {
        Some((oi, f)) if declares && worst != State::Healthy => {
            let down: Vec<&str> = ops
                .iter()
                .zip(names)
                .filter(|(f, _)| f.state == State::Down)
                .map(|(_, n)| *n)
                .collect();
            let prefix = if !down.is_empty() && !all_down {
                format!(
                    "operation{} {} down: ",
                    if down.len() == 1 { "" } else { "s" },
                    down.join(", ")
                )
            } else {
                format!("{}: ", names[oi])
            };
            (format!("{prefix}{}", f.because), f.chain.clone())
        }
        Some((_, f)) => (f.because.clone(), f.chain.clone()),
        None => (String::new(), Vec::new()),
    };
    Figures {
        state,
        success,
        latency_s,
        load_rps: total,
        amplification,
        because,
        chain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(percent(0.9995), "99.95%");
        assert_eq!(percent(0.08), "8%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(latency(0.0123), "12.3ms");
        assert_eq!(latency(2.4), "2.4s");
        assert_eq!(latency(f64::INFINITY), "∞");
        assert_eq!(rate(2400.0), "2,400");
        assert_eq!(rate(12.34), "12.3");
    }
}
