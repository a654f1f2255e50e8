//! One pass of the steady state: outcomes callees first, then loads
//! callers first (see the parent module).

use super::admission::{Admission, Inputs};
use super::contexts::Dest;
use super::{Conditions, EdgeFlow, Engine, Situation, Solved};
use crate::model::{
    CacheEdge, Criticality, Dependency, Fallback, Mode, Phase, ServiceId, above, below,
};
use crate::sim::dist::{Dist, Point, Span, geometric_sum};
use crate::sim::dists::Dists;

impl Engine<'_> {
    /// Steps 1 and 2: work, admissions and outcomes, region by region,
    /// callees first.
    pub(super) fn outcomes(
        &self,
        cond: &Conditions,
        situation: &Situation,
        own: &Dists,
        s: &mut Solved,
    ) {
        for region in &self.contexts.regions {
            if !region.cyclic {
                // Calls first (callees are final), then the admission they
                // imply, then what callers get.
                let svc = region.services[0];
                let mut work_changed = false;
                for c in region.ctxs.clone() {
                    let c = c as usize;
                    work_changed |= self.refresh_work(c, cond, situation, own, s);
                    let held = s.work.mean_latency(c);
                    s.ctx_held[c] = held;
                    s.op_held[self.contexts.ctxs[c].op as usize] = held;
                }
                let a = self.admit(svc, cond, situation, s);
                let admission_changed = a != s.admission[svc.index()];
                s.admission[svc.index()] = a;
                for c in region.ctxs.clone() {
                    let c = c as usize;
                    if work_changed || admission_changed || s.ctx_changed[c] {
                        self.tracked_outcome(c, &a, s);
                    }
                }
            } else {
                // Inside a cycle, admissions come from the previous pass.
                for &svc in &region.services {
                    s.admission[svc.index()] = self.admit(svc, cond, situation, s);
                }
                for c in region.ctxs.clone() {
                    let c = c as usize;
                    self.refresh_work(c, cond, situation, own, s);
                    s.ctx_held[c] = s.work.mean_latency(c);
                    let svc = self.contexts.ctxs[c].service;
                    let a = s.admission[svc.index()];
                    self.tracked_outcome(c, &a, s);
                }
            }
        }
    }

    /// Recomputes a context's work when what it calls changed (or nothing is
    /// cached); returns whether the work changed.
    fn refresh_work(
        &self,
        c: usize,
        cond: &Conditions,
        situation: &Situation,
        own: &Dists,
        s: &mut Solved,
    ) -> bool {
        if s.work_valid[c] && !self.callees_changed(c, s) {
            return false;
        }
        let was_valid = s.work_valid[c];
        s.work_valid[c] = true;
        let changed = self.tracked_work(c, cond, situation, own, s);
        !was_valid || changed
    }

    /// Whether anything a context calls answered differently in this pass
    /// (or, for a re-entry, went wholly down or came back in the last).
    fn callees_changed(&self, c: usize, s: &Solved) -> bool {
        self.contexts.ctxs[c].calls.clone().any(|call| {
            let call = &self.contexts.calls[call as usize];
            [call.main.clone(), call.alt.clone()].into_iter().any(|r| {
                self.contexts.dests[r.start as usize..r.end as usize]
                    .iter()
                    .any(|(d, _)| match *d {
                        Dest::Ctx(t) => s.ctx_changed[t as usize],
                        Dest::ReEntry(op) => s.down_changed[op as usize],
                    })
            })
        })
    }

    /// A service's admission from its load and the time its requests hold
    /// a thread (rps-weighted over its operations).
    fn admit(
        &self,
        id: ServiceId,
        cond: &Conditions,
        situation: &Situation,
        s: &Solved,
    ) -> Admission {
        Admission::compute(&self.admission_inputs(id, cond, situation, s, None))
    }

    pub(super) fn admission_inputs<'a>(
        &'a self,
        id: ServiceId,
        cond: &Conditions,
        situation: &Situation,
        s: &Solved,
        load: Option<f64>,
    ) -> Inputs<'a> {
        let svc = self.model.service(id);
        let i = id.index();
        let ops = self.ops.ops(id);
        let total: f64 = ops.clone().map(|o| s.op_load[o as usize]).sum();
        let n = ops.len() as f64;
        let weight = |o: u32| {
            if total > 0.0 {
                s.op_load[o as usize] / total
            } else {
                1.0 / n
            }
        };
        let mut work = 0.0;
        let mut held = 0.0;
        for (oi, o) in ops.enumerate() {
            let w = weight(o);
            if w <= 0.0 {
                continue;
            }
            work += w * svc.operations[oi].latency.mean_s();
            held += w * s.op_held[o as usize];
        }
        if held.is_nan() {
            held = f64::INFINITY;
        }
        Inputs {
            svc,
            replicas: self.replicas(id, situation),
            crashed: cond.crashed[i],
            hung: cond.hung[i],
            errors: cond.errors[i],
            load: load.unwrap_or(total),
            work,
            held,
            backlog: situation
                .backlog
                .get(i)
                .copied()
                .flatten()
                .map(|b| (b, situation.step_s)),
        }
    }

    /// An operation's work on one call path: its own time, then its calls.
    pub(super) fn work(
        &self,
        c: usize,
        cond: &Conditions,
        situation: &Situation,
        own: &Dists,
        s: &mut Solved,
    ) -> Dist {
        let ctx = &self.contexts.ctxs[c];
        let op = &self.model.service(ctx.service).operations[ctx.oi];
        let mut calls = Dist::EMPTY;
        for call_idx in ctx.calls.clone() {
            let call_idx = call_idx as usize;
            let e = self.call_edge[call_idx] as usize;
            let dep = self.dep(e);
            let (mut flow, call) = self.call_site(c, call_idx, e, dep, cond, situation, s);
            let k = dep.calls;
            if waits(dep, situation, e) {
                let all = if k == 1 {
                    call
                } else {
                    call.repeated(k, op.parallel)
                };
                calls = if op.parallel {
                    calls.alongside(&all)
                } else {
                    calls.then(&all)
                };
                if op.parallel {
                    flow.pass = 1.0;
                    flow.made = f64::from(k);
                } else {
                    flow.pass = all.success();
                    // Call u + 1 is made only if the first u succeeded.
                    flow.made = geometric_sum(call.success(), f64::from(k) - 1.0);
                }
            } else {
                flow.pass = 1.0;
                flow.made = if dep.phase == Phase::Request {
                    f64::from(k)
                } else {
                    0.0
                };
            }
            flow.rate = s.flows[call_idx].rate;
            s.flows[call_idx] = flow;
        }
        own.get(ctx.op as usize).then(&calls)
    }

    /// What callers get from the contexts a call lands in.
    fn answer(&self, dests: std::ops::Range<u32>, s: &Solved) -> Dist {
        let one = |d: Dest| match d {
            Dest::Ctx(c) => s.ctx_dist.get(c as usize),
            // A call back into an operation already on the path passes back
            // only a whole failure.
            Dest::ReEntry(op) => {
                if s.down[op as usize] {
                    Dist::fail(0.0)
                } else {
                    Dist::ok(0.0)
                }
            }
        };
        let dests = &self.contexts.dests[dests.start as usize..dests.end as usize];
        match dests {
            [] => Dist::ok(0.0),
            [(d, _)] => one(*d),
            many => {
                let parts: smallvec::SmallVec<[Dist; 4]> =
                    many.iter().map(|(d, _)| one(*d)).collect();
                let weighted: smallvec::SmallVec<[(f64, &Dist); 4]> =
                    many.iter().zip(&parts).map(|((_, w), d)| (*w, d)).collect();
                Dist::mix(&weighted)
            }
        }
    }

    /// One call through a timeout and retries: (outcome, attempts per call,
    /// failure share of one attempt, share of attempts timed out).
    fn attempt(
        &self,
        answer: Dist,
        timeout: Option<f64>,
        retries: u32,
        budget: Option<f64>,
    ) -> (Dist, f64, f64, f64) {
        let timed_out = timeout.map_or(0.0, |t| answer.late_share(t));
        let attempt = answer.with_timeout(timeout);
        let p_fail = attempt.failure();
        let retry = retry_probability(&attempt, retries, budget);
        let (call, attempts) = attempt.retried(retries, retry);
        (call, attempts, p_fail, timed_out)
    }

    /// The flow over one call site and what one call there becomes.
    #[allow(clippy::too_many_arguments)]
    fn call_site(
        &self,
        c: usize,
        call_idx: usize,
        e: usize,
        dep: &Dependency,
        cond: &Conditions,
        situation: &Situation,
        s: &Solved,
    ) -> (EdgeFlow, Dist) {
        let from = self.contexts.ctxs[c].service;
        let sites = &self.contexts.calls[call_idx];
        let target = dep.target.service;
        let cut = cond.cut(from, target);
        let answer = if cut {
            Dist::fail(f64::INFINITY)
        } else {
            self.answer(sites.main.clone(), s)
        };
        if !waits(dep, situation, e) {
            // Hand-offs and background work carry load, not latency.
            let flow = EdgeFlow {
                attempts: if dep.phase == Phase::Request {
                    1.0
                } else {
                    0.0
                },
                reaches: !cut,
                attempt_failure: answer.failure(),
                success: 1.0,
                pass: 1.0,
                ..EdgeFlow::default()
            };
            return (flow, Dist::ok(0.0));
        }
        let mut flow = EdgeFlow {
            reaches: !cut,
            ..EdgeFlow::default()
        };
        let mut call = self.first_attempt(dep, e, answer, s, &mut flow);
        let alternative = |to: ServiceId| {
            if cond.cut(from, to) {
                Dist::fail(f64::INFINITY)
            } else {
                self.answer(sites.alt.clone(), s)
            }
        };
        if let Some(cache) = &dep.cache {
            let warm = situation.warmth.get(target.index()).copied().unwrap_or(1.0);
            call = self.through_cache(
                dep,
                cache,
                warm,
                alternative(cache.on_miss),
                call,
                &mut flow,
            );
        } else {
            match dep.fallback {
                Some(Fallback::ServeStale { .. }) => {
                    let expired = situation.stale_expired.contains(&e);
                    call = self.served_stale(call, expired, &mut flow);
                }
                Some(Fallback::Failover { to }) => {
                    call = self.failed_over(dep, call, || alternative(to), &mut flow);
                }
                _ => {}
            }
        }
        if dep.criticality == Criticality::Soft {
            call = call.forgiven();
        }
        flow.success = call.success();
        flow.latency = call.mean_latency();
        (flow, call)
    }

    /// A stale fallback: failed calls are answered from a stale copy while
    /// its window lasts. The window runs while the calls fail more than a
    /// healthy caller could (a timeout's tail of 1 in 20,000 is not an
    /// outage: it neither degrades the caller nor starts the clock).
    fn served_stale(&self, call: Dist, expired: bool, flow: &mut EdgeFlow) -> Dist {
        flow.failing = self.material(call.failure());
        if expired {
            return call;
        }
        flow.protection_used = flow.failing;
        call.forgiven()
    }

    /// Whether a share of failed calls is more than a healthy caller can
    /// lose (the `degraded_below` threshold): below it a fallback or a
    /// cache's `on_miss` is not "in use" and does not degrade the caller.
    fn material(&self, failed: f64) -> bool {
        above(failed, 1.0 - self.model.thresholds.degraded_below)
    }

    /// The call's first try: failed at once by an open breaker (no
    /// attempt, no retry), else an attempt through its timeout and retries.
    fn first_attempt(
        &self,
        dep: &Dependency,
        e: usize,
        answer: Dist,
        s: &Solved,
        flow: &mut EdgeFlow,
    ) -> Dist {
        if dep.circuit_breaker.is_some() && s.open.contains(&e) {
            flow.breaker_open = true;
            flow.reaches = false;
            flow.attempt_failure = answer.with_timeout(dep.timeout_s).failure();
            return Dist::fail(0.0);
        }
        let (call, attempts, p_fail, timed_out) =
            self.attempt(answer, dep.timeout_s, dep.retries, dep.retry_budget);
        flow.attempts = attempts;
        flow.attempt_failure = p_fail;
        flow.timed_out = timed_out;
        call
    }

    /// A look-aside cache (`warm`: the share of its usual hits it has):
    /// hits answered by the cache; misses (and a cache that fails) go to
    /// `on_miss`, answering `miss`, with the edge's retries and the model's
    /// default timeout (the edge's own is the cache client's).
    fn through_cache(
        &self,
        dep: &Dependency,
        cache: &CacheEdge,
        warm: f64,
        miss: Dist,
        call: Dist,
        flow: &mut EdgeFlow,
    ) -> Dist {
        let hit = cache.hit_ratio * warm;
        let (miss_call, miss_attempts, _, _) = self.attempt(
            miss,
            self.model.default_timeout_s,
            dep.retries,
            dep.retry_budget,
        );
        let cache_ok = call.success();
        // A cache call that never answers (no timeout) never goes on to
        // `on_miss`: it waits, and sends `on_miss` nothing.
        let hung = call.unbounded_share();
        let cache_failed = 1.0 - cache_ok - hung;
        let answered = call.successes();
        let fail_time = call.mean_bounded_fail_latency();
        let after_miss = answered.then(&miss_call);
        let after_failure = miss_call.delayed(fail_time);
        flow.alt_share = (1.0 - hit) * cache_ok + cache_failed;
        flow.alt_attempts = miss_attempts;
        flow.protection_used = warm < 1.0 || self.material(1.0 - cache_ok);
        Dist::mix(&[
            (hit * cache_ok, &answered),
            ((1.0 - hit) * cache_ok, &after_miss),
            (cache_failed, &after_failure),
            (hung, &Dist::fail(f64::INFINITY)),
        ])
    }

    /// A failover: the failed share of calls moves to the alternative
    /// (answering `alt()`), after the time the failure took. A share that
    /// never answers (no timeout) never fails, so it never moves: it waits.
    fn failed_over(
        &self,
        dep: &Dependency,
        call: Dist,
        alt: impl FnOnce() -> Dist,
        flow: &mut EdgeFlow,
    ) -> Dist {
        let failed = call.bounded_failure();
        let hung = call.unbounded_share();
        // In use when more fails over (or waits for ever) than a healthy
        // caller could lose: a timeout's tail is not a failover.
        flow.protection_used = self.material(failed + hung);
        if failed <= 1e-12 {
            return call;
        }
        let (alt_call, alt_attempts, _, _) =
            self.attempt(alt(), dep.timeout_s, dep.retries, dep.retry_budget);
        let fail_time = call.mean_bounded_fail_latency();
        let answered = call.successes();
        let moved = alt_call.delayed(fail_time);
        flow.alt_share = failed;
        flow.alt_attempts = alt_attempts;
        Dist::mix(&[
            (1.0 - failed - hung, &answered),
            (failed, &moved),
            (hung, &Dist::fail(f64::INFINITY)),
        ])
    }

    /// Step 3: loads from entry traffic down the call paths, callers first.
    pub(super) fn propagate(&self, cond: &Conditions, situation: &Situation, s: &mut Solved) {
        s.ctx_load.iter_mut().for_each(|x| *x = 0.0);
        s.ctx_nominal.iter_mut().for_each(|x| *x = 0.0);
        for (flat, &(id, oi)) in self.ops.of.iter().enumerate() {
            if let Some(r) = self.model.service(id).operations[oi].rps {
                let surge = cond.surge_all * cond.surge[id.index()];
                let root = self.contexts.root[flat] as usize;
                s.ctx_load[root] += r * surge;
                s.ctx_nominal[root] += r * surge;
            }
        }
        for region in self.contexts.regions.iter().rev() {
            if !region.cyclic {
                let svc = region.services[0];
                let nominal: f64 = region.ctxs.clone().map(|c| s.ctx_nominal[c as usize]).sum();
                s.nominal_worked[svc.index()] =
                    self.nominal_worked(svc, nominal, cond, situation, s);
            }
            for c in region.ctxs.clone().rev() {
                self.send(c as usize, cond, s);
            }
            if region.cyclic {
                // For the next pass: the share worked at the one-attempt load.
                for &svc in &region.services {
                    let nominal: f64 = self
                        .ops
                        .ops(svc)
                        .flat_map(|o| &self.cycle_ctxs[o as usize])
                        .map(|&c| s.ctx_nominal[c as usize])
                        .sum();
                    s.nominal_worked[svc.index()] =
                        self.nominal_worked(svc, nominal, cond, situation, s);
                }
            }
        }
        self.sum_loads(s);
        self.aggregate_edges(s);
    }

    /// The share a service would work on at the load the same user traffic
    /// sends it with one attempt per call (for `amplification`).
    fn nominal_worked(
        &self,
        id: ServiceId,
        nominal: f64,
        cond: &Conditions,
        situation: &Situation,
        s: &Solved,
    ) -> f64 {
        let inputs = self.admission_inputs(id, cond, situation, s, Some(nominal));
        Admission::compute(&inputs).worked
    }

    /// The calls one context sends for the attempts arriving at it: only
    /// requests its servers work on call onward, and a request stops at its
    /// first failed hard call.
    fn send(&self, c: usize, cond: &Conditions, s: &mut Solved) {
        let ctx = &self.contexts.ctxs[c];
        let svc = ctx.service;
        let a = s.admission[svc.index()];
        let worked = s.ctx_load[c] * a.worked;
        let worked_nominal = s.ctx_nominal[c] * s.nominal_worked[svc.index()];
        let parallel = self.model.service(svc).operations[ctx.oi].parallel;
        let mut reach = 1.0;
        for call_idx in ctx.calls.clone() {
            let call_idx = call_idx as usize;
            let flow = s.flows[call_idx];
            let before = reach;
            let rate = worked * before * flow.made;
            s.flows[call_idx].rate = rate;
            if !parallel {
                reach *= flow.pass;
            }
            let nominal = worked_nominal * before * flow.made;
            if flow.made <= 0.0 || (rate <= 0.0 && nominal <= 0.0) {
                continue;
            }
            let sites = &self.contexts.calls[call_idx];
            if flow.reaches {
                self.deliver(sites.main.clone(), rate * flow.attempts, nominal, s);
            }
            if flow.alt_share > 0.0 {
                let dep = self.dep(self.call_edge[call_idx] as usize);
                let alt = match (&dep.cache, &dep.fallback) {
                    (Some(cache), _) => Some(cache.on_miss),
                    (None, Some(Fallback::Failover { to })) => Some(*to),
                    _ => None,
                };
                if let Some(alt) = alt
                    && !cond.cut(svc, alt)
                {
                    self.deliver(
                        sites.alt.clone(),
                        rate * flow.alt_share * flow.alt_attempts,
                        nominal * flow.alt_share,
                        s,
                    );
                }
            }
        }
    }

    fn deliver(&self, dests: std::ops::Range<u32>, amount: f64, nominal: f64, s: &mut Solved) {
        for &(d, w) in &self.contexts.dests[dests.start as usize..dests.end as usize] {
            if let Dest::Ctx(t) = d {
                s.ctx_load[t as usize] += amount * w;
                s.ctx_nominal[t as usize] += nominal * w;
            }
        }
    }

    /// Per operation: the loads of its contexts, summed.
    pub(super) fn sum_loads(&self, s: &mut Solved) {
        s.op_load.iter_mut().for_each(|x| *x = 0.0);
        s.op_nominal.iter_mut().for_each(|x| *x = 0.0);
        for (c, ctx) in self.contexts.ctxs.iter().enumerate() {
            s.op_load[ctx.op as usize] += s.ctx_load[c];
            s.op_nominal[ctx.op as usize] += s.ctx_nominal[c];
        }
    }

    /// Per global edge: its call sites' flows, weighted by their call rates
    /// (the root context's when nothing flows).
    fn aggregate_edges(&self, s: &mut Solved) {
        let mut total = vec![0.0f64; s.edge_flows.len()];
        for (call_idx, &e) in self.call_edge.iter().enumerate() {
            total[e as usize] += s.flows[call_idx].rate;
        }
        for f in &mut s.edge_flows {
            *f = EdgeFlow::default();
        }
        for (call_idx, &e) in self.call_edge.iter().enumerate() {
            let e = e as usize;
            let f = s.flows[call_idx];
            let agg = &mut s.edge_flows[e];
            if total[e] > 0.0 {
                let w = f.rate / total[e];
                if w <= 0.0 {
                    continue;
                }
                agg.attempts += w * f.attempts;
                agg.attempt_failure += w * f.attempt_failure;
                agg.timed_out += w * f.timed_out;
                agg.success += w * f.success;
                agg.latency += w * f.latency;
                agg.pass += w * f.pass;
                agg.made += w * f.made;
                agg.alt_share += w * f.alt_share;
                agg.alt_attempts += w * f.alt_attempts;
                agg.reaches |= f.reaches;
                agg.breaker_open |= f.breaker_open;
                agg.protection_used |= f.protection_used;
                agg.failing |= f.failing;
            } else if self.call_is_root[call_idx] {
                *agg = f;
            }
        }
        for (f, t) in s.edge_flows.iter_mut().zip(total) {
            f.rate = t;
        }
    }

    /// For each operation in a cycle: its outcome over its call paths,
    /// weighted by their load, and whether it wholly fails (what a
    /// re-entering call sees next pass).
    pub(super) fn mix_cycles(&self, s: &mut Solved) {
        let down_below = self.model.thresholds.down_below;
        for region in self.contexts.regions.iter().filter(|r| r.cyclic) {
            for &svc in &region.services {
                for op in self.ops.ops(svc) {
                    let o = op as usize;
                    let (dist, held) = self.cycle_mix(op, s, s);
                    let down = below(dist.success(), down_below);
                    s.down_changed[o] = down != s.down[o];
                    s.down[o] = down;
                    s.op_held[o] = if held.is_nan() { f64::INFINITY } else { held };
                    s.mixed.insert(op, dist);
                }
            }
        }
    }

    /// What one flat operation answers over all its call paths.
    pub(crate) fn op_dist(&self, s: &Solved, op: u32) -> Dist {
        match s.mixed.get(&op) {
            Some(d) => *d,
            None => s.ctx_dist.get(self.contexts.root[op as usize] as usize),
        }
    }

    /// What one flat operation answered in `before` along the call paths
    /// its requests take in `now` (each weighted by its load in `now`):
    /// what a cycle member's figures compare with, so that a member whose
    /// traffic moved to other paths of the cycle, or stopped, is measured
    /// against the same paths before, not against where its requests used
    /// to come in. Outside cycles it is `before`'s answer.
    pub(crate) fn op_dist_along(&self, before: &Solved, now: &Solved, op: u32) -> Dist {
        if !before.mixed.contains_key(&op) {
            return self.op_dist(before, op);
        }
        self.cycle_mix(op, now, before).0
    }

    /// A cycle member's answer and the time its requests hold a thread,
    /// over its call paths: each path's from `paths`, weighted by its load
    /// in `loads`; the one path that carries load alone, or the path that
    /// enters the cycle at the member when none does.
    fn cycle_mix(&self, op: u32, loads: &Solved, paths: &Solved) -> (Dist, f64) {
        let o = op as usize;
        let ctxs: smallvec::SmallVec<[usize; 8]> =
            self.cycle_ctxs[o].iter().map(|&c| c as usize).collect();
        let total: f64 = ctxs.iter().map(|&c| loads.ctx_load[c]).sum();
        let root = self.contexts.root[o] as usize;
        if total > 0.0 && ctxs.len() > 1 {
            let dists: smallvec::SmallVec<[Dist; 2]> =
                ctxs.iter().map(|&c| paths.ctx_dist.get(c)).collect();
            let parts: Vec<(f64, &Dist)> = ctxs
                .iter()
                .zip(&dists)
                .map(|(&c, d)| (loads.ctx_load[c] / total, d))
                .collect();
            let held = ctxs
                .iter()
                .map(|&c| loads.ctx_load[c] / total * paths.ctx_held[c])
                .sum::<f64>();
            (Dist::mix(&parts), held)
        } else if total > 0.0 {
            (paths.ctx_dist.get(ctxs[0]), paths.ctx_held[ctxs[0]])
        } else {
            (paths.ctx_dist.get(root), paths.ctx_held[root])
        }
    }

    /// The atoms (successes, failures) of [`Engine::op_dist`], in place.
    pub(crate) fn op_atoms<'s>(&self, s: &'s Solved, op: u32) -> (&'s [Span], &'s [Point]) {
        match s.mixed.get(&op) {
            Some(d) => d.atoms(),
            None => s.ctx_dist.atoms(self.contexts.root[op as usize] as usize),
        }
    }
}

/// Whether the caller waits for the answer of this dependency.
fn waits(dep: &Dependency, situation: &Situation, e: usize) -> bool {
    dep.phase == Phase::Request && (dep.mode == Mode::Sync || situation.buffer_full.contains(&e))
}

/// The chance that a failed attempt (one that comes back) is followed by
/// another: 1 without a budget; with one, lowered so that retries stay
/// within `budget` × calls (closed form in the retries, bisection in the
/// probability).
fn retry_probability(attempt: &Dist, retries: u32, budget: Option<f64>) -> f64 {
    let never: f64 = attempt
        .fails()
        .iter()
        .filter(|f| f.t.is_infinite())
        .map(|f| f.w)
        .sum();
    let q = (attempt.failure() - never).max(0.0);
    if retries == 0 || q <= 0.0 {
        return 0.0;
    }
    let r = f64::from(retries);
    // Retries per call when each failure is retried with probability g.
    let expected = |y: f64| geometric_sum(y, r) - 1.0;
    match budget {
        Some(b) if expected(q) > b => {
            let (mut lo, mut hi) = (0.0, q);
            for _ in 0..60 {
                let mid = (lo + hi) / 2.0;
                if expected(mid) > b {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            lo / q
        }
        _ => 1.0,
    }
}
