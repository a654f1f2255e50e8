//! Admission: what a service's replicas do with the requests that arrive —
//! refuse them (crashed, or below quorum), swallow them (hung), fail them on
//! arrival (injected errors, which use no capacity), turn them away (a full
//! queue), or make them wait for a server and work on them.
//!
//! Each replica is an M/M/c/K queue ([`crate::sim::queueing`]) over the
//! resource that binds: its CPU — `c = max(1, round(capacity × L))` servers
//! for a healthy own work L, so its throughput is exactly `capacity` — or
//! its threads — `concurrency` servers, each held for the time a request
//! spends in work and waiting on its dependencies (Little's law). Slowness
//! holds threads; it is never counted as work.

use crate::model::Service;
use crate::sim::dist::Dist;
use crate::sim::queueing::{Queue, mmck};

/// A resource's servers and the rate each finishes requests at.
type Servers = (u64, f64);

/// What the replicas of one service do with arriving requests.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Admission {
    /// Every replica crashed, or fewer than quorum left: refused at once.
    pub refused: bool,
    /// Share of arrivals that land on hung replicas and never return.
    pub hung: f64,
    /// Share of the rest failed at once by injected errors.
    pub errors: f64,
    /// Share of the rest turned away by a full queue.
    pub block: f64,
    /// Chance that an admitted request waits for a server (below capacity).
    pub p_wait: f64,
    /// Mean wait of an admitted request, seconds (infinite: no bound).
    pub wait: f64,
    /// Whether every admitted request waits the same time (above capacity,
    /// or a backlog the timeline carries) instead of Erlang C's mixture.
    pub wait_fixed: bool,
    /// With both `capacity` and `concurrency`, the Erlang C wait for the
    /// resource that does not bind (chance, mean over everyone, seconds):
    /// a request waits for a thread and for a server, so a second limit
    /// never shortens the wait (it replaced the first one's: a limit of 5
    /// threads made a service at half its capacity faster).
    pub other_p_wait: f64,
    pub other_wait: f64,
    /// Share of arrivals the servers work on (and so call onward for).
    pub worked: f64,
    /// Mean time a request holds a thread (own work and dependencies), s.
    pub held: f64,
    /// Requests per second per serving replica that need a server.
    pub per_replica: f64,
    /// Requests per second one serving replica can finish (infinite: no bound).
    pub throughput: f64,
    /// Replicas serving (not crashed, not hung).
    pub serving: u32,
    /// Whether threads (`concurrency`), not capacity, bind.
    pub pool_bound: bool,
    /// Utilisation of the binding resource (arrivals ÷ what it can finish).
    pub rho: f64,
    /// Requests waiting per replica in the long run (M/M/c/K occupancy).
    pub occupancy: f64,
    /// Whether a carried backlog is still filling the queue (timeline).
    pub filling: bool,
    /// Requests queued over all serving replicas (at the step's end, in a
    /// timeline; in the long run, for the steady state).
    pub backlog: f64,
}

/// The inputs of one service's admission.
pub(crate) struct Inputs<'a> {
    /// The service.
    pub svc: &'a Service,
    /// Replicas running (model + scaled).
    pub replicas: u32,
    /// Replicas crashed.
    pub crashed: u32,
    /// Replicas hung (not also crashed).
    pub hung: u32,
    /// Share of requests failed on arrival.
    pub errors: f64,
    /// Attempts per second arriving.
    pub load: f64,
    /// Healthy own work per request (rps-weighted mean), seconds.
    pub work: f64,
    /// Mean time a request holds a thread, seconds.
    pub held: f64,
    /// Requests the timeline carries in the queue at the step's start, and
    /// the step's length in seconds (`None`: the long run).
    pub backlog: Option<(f64, f64)>,
}

impl Admission {
    /// Whether two admissions are the same bit for bit (every field: an
    /// explanation reads most of them).
    pub(crate) fn same_bits(&self, other: &Admission) -> bool {
        let bits = |a: &Admission| {
            [
                u64::from(a.refused),
                a.hung.to_bits(),
                a.errors.to_bits(),
                a.block.to_bits(),
                a.p_wait.to_bits(),
                a.wait.to_bits(),
                u64::from(a.wait_fixed),
                a.other_p_wait.to_bits(),
                a.other_wait.to_bits(),
                a.worked.to_bits(),
                a.held.to_bits(),
                a.per_replica.to_bits(),
                a.throughput.to_bits(),
                u64::from(a.serving),
                u64::from(a.pool_bound),
                a.rho.to_bits(),
                a.occupancy.to_bits(),
                u64::from(a.filling),
                a.backlog.to_bits(),
            ]
        };
        bits(self) == bits(other)
    }

    /// Works out the admission of one service.
    pub(crate) fn compute(i: &Inputs) -> Admission {
        let svc = i.svc;
        let crashed = i.crashed.min(i.replicas);
        let up = i.replicas - crashed;
        let hung = i.hung.min(up);
        let mut a = Admission {
            worked: 1.0,
            held: i.held,
            throughput: f64::INFINITY,
            ..Admission::default()
        };
        if up == 0 || up < svc.quorum {
            a.refused = true;
            a.worked = 0.0;
            return a;
        }
        // Hung replicas cannot vote: below quorum, every request hangs.
        a.hung = if up - hung < svc.quorum {
            1.0
        } else {
            f64::from(hung) / f64::from(up)
        };
        a.serving = up - hung;
        a.errors = i.errors.clamp(0.0, 1.0);
        if a.serving == 0 {
            a.worked = 0.0;
            return a;
        }
        let needing = i.load * (1.0 - a.hung) * (1.0 - a.errors);
        a.per_replica = needing / f64::from(a.serving);
        let (binding, other) = Self::servers(svc, i.work, i.held);
        let Some((servers, rate)) = binding else {
            a.worked = (1.0 - a.hung) * (1.0 - a.errors);
            return a;
        };
        a.pool_bound = svc.capacity.is_none_or(|cap| {
            svc.concurrency
                .is_some_and(|n| i.held > 0.0 && n / i.held < cap)
        });
        a.throughput = servers as f64 * rate;
        a.rho = if a.throughput > 0.0 {
            a.per_replica / a.throughput
        } else {
            f64::INFINITY
        };
        let queue = svc.queue;
        let q = mmck(servers, rate, a.per_replica, queue);
        a.occupancy = q.queued;
        let overloaded = a.per_replica >= a.throughput;
        let serving = f64::from(a.serving);
        match i.backlog {
            Some((start, step)) => a.carry(&q, queue.is_some(), start, step, overloaded),
            None => {
                a.apply(&q, overloaded);
                // What a timeline starting here carries: below capacity
                // nothing (the long run's queue is in the M/M/c/K wait);
                // past it, a bounded queue full, an unbounded one endless.
                a.backlog = if !overloaded {
                    0.0
                } else if queue.is_some() {
                    q.queued * serving
                } else {
                    f64::INFINITY
                };
            }
        }
        if let Some((servers, rate)) = other {
            // What gets past the binding resource reaches the other one,
            // which finishes more: below its capacity, an Erlang C wait.
            let through = (a.per_replica * (1.0 - a.block)).min(a.throughput);
            let q = mmck(servers, rate, through, None);
            if q.wait.is_finite() {
                a.other_p_wait = q.p_wait;
                a.other_wait = q.wait;
            }
        }
        a.worked *= (1.0 - a.hung) * (1.0 - a.errors);
        a
    }

    /// A timeline step's queue: the backlog carried from `start` over
    /// `step` seconds, and the wait and share worked that it gives.
    fn carry(&mut self, q: &Queue, bounded: bool, start: f64, step: f64, overloaded: bool) {
        let serving = f64::from(self.serving);
        // The timeline: the backlog moves by (arrivals − throughput)
        // over the step, between empty and the long run's
        // occupancy. It is taken at the step's end (implicitly: the
        // fixed point makes the arrivals that of that backlog), which
        // keeps a queue feeding back on its callers from swinging.
        let total = self.throughput * serving;
        let room = if bounded {
            q.queued * serving
        } else {
            f64::INFINITY
        };
        // Overloaded, it fills up to the long run's occupancy (a
        // bounded queue turns the rest away); below capacity it
        // drains at throughput − arrivals, however far above the
        // light load's own occupancy it starts.
        self.backlog = if overloaded {
            self.grown(start, step).clamp(0.0, room.max(0.0))
        } else {
            (start + (self.per_replica * serving - total) * step).max(0.0)
        };
        if overloaded && self.backlog < room {
            // Still filling: nobody is turned away yet, everyone
            // waits for the backlog ahead, the servers work flat out.
            self.filling = true;
            self.block = 0.0;
            self.wait = if total > 0.0 {
                self.backlog / total
            } else {
                f64::INFINITY
            };
            self.wait_fixed = true;
            self.p_wait = 1.0;
            self.worked = if self.per_replica > 0.0 {
                (self.throughput / self.per_replica).min(1.0)
            } else {
                1.0
            };
        } else {
            self.apply(q, overloaded);
            if !overloaded && self.backlog > 0.0 && total > 0.0 {
                // A backlog left from an overload drains: it adds
                // its length ÷ throughput to everyone's wait.
                self.wait += self.backlog / total;
                self.wait_fixed = true;
            }
        }
    }

    /// The backlog (over all serving replicas) after `step` seconds of
    /// overload from `start`, before any bound: the larger of the excess
    /// piling up — (arrivals − throughput) × step — and a random walk's
    /// growth. A queue loaded exactly at capacity gains nothing on average
    /// per request, yet it grows: its length is a random walk with no drift
    /// (arrivals up, departures down, σ² = arrivals + throughput a second
    /// per replica) reflected at empty, whose expected value t seconds after
    /// empty is σ·√(2t/π) — so its square grows by 2σ²·step/π. Past
    /// capacity the excess soon dominates; at capacity it is the whole
    /// story, and the wait still grows without bound, as the long run says.
    pub(crate) fn grown(&self, start: f64, step: f64) -> f64 {
        let serving = f64::from(self.serving);
        let excess = (self.per_replica - self.throughput) * serving;
        let piled = start + excess * step;
        let per_replica = start / serving;
        let walked = serving * (per_replica * per_replica + self.walk_rate() * step).sqrt();
        piled.max(walked)
    }

    /// How fast the square of an overloaded replica's queue length grows
    /// by the random walk alone, per second: 2σ²/π (see [`Admission::grown`]).
    fn walk_rate(&self) -> f64 {
        2.0 * (self.per_replica + self.throughput) / std::f64::consts::PI
    }

    /// Seconds an overloaded queue takes to grow from `from` to `to`
    /// requests (over all serving replicas), as [`Admission::grown`] grows
    /// it step by step: as a random walk while the walk is the faster
    /// (below `walk_until` per replica), then by the excess.
    pub(crate) fn time_to_grow(&self, from: f64, to: f64) -> f64 {
        if to <= from {
            return 0.0;
        }
        let serving = f64::from(self.serving);
        let (a, b) = (from / serving, to / serving);
        let w = self.walk_rate();
        let until = self.walk_until();
        let walking = if a < until {
            let end = b.min(until);
            (end * end - a * a) / w
        } else {
            0.0
        };
        let excess = self.per_replica - self.throughput;
        let piling = if b > until {
            (b - a.max(until)) / excess
        } else {
            0.0
        };
        walking + piling
    }

    /// The queue length per replica below which the random walk grows it
    /// faster than the excess does (its rate is w ÷ 2B against the
    /// excess): infinite at capacity exactly.
    pub(crate) fn walk_until(&self) -> f64 {
        let excess = self.per_replica - self.throughput;
        if excess > 0.0 {
            self.walk_rate() / (2.0 * excess)
        } else {
            f64::INFINITY
        }
    }

    /// The long-run reading of the queue.
    fn apply(&mut self, q: &Queue, overloaded: bool) {
        self.block = q.block;
        self.wait = q.wait;
        self.p_wait = q.p_wait;
        // Above capacity a long queue's wait hardly varies.
        self.wait_fixed = overloaded;
        self.worked = if self.wait.is_infinite() {
            // An unbounded queue past capacity: the servers still work flat
            // out, on requests whose callers will never see the answer.
            if self.per_replica > 0.0 {
                (self.throughput / self.per_replica).min(1.0)
            } else {
                1.0
            }
        } else {
            1.0 - q.block
        };
    }

    /// The servers of the binding resource and the rate each finishes
    /// requests at (`None` when nothing bounds throughput), and, with both
    /// a CPU and threads, those of the one that does not bind.
    fn servers(svc: &Service, work: f64, held: f64) -> (Option<Servers>, Option<Servers>) {
        match Self::resources(svc, work, held) {
            (Some(c), Some(p)) if Self::pool_binds(c, p) => (Some(p), Some(c)),
            (Some(c), Some(p)) => (Some(c), Some(p)),
            (c, p) => (c.or(p), None),
        }
    }

    /// The resource that finishes fewer requests per second binds.
    fn pool_binds(cpu: Servers, pool: Servers) -> bool {
        (pool.0 as f64) * pool.1 < (cpu.0 as f64) * cpu.1
    }

    /// The CPU's servers (c = max(1, round(capacity × L)), each finishing
    /// capacity ÷ c a second) and the threads (each held `held` seconds).
    fn resources(svc: &Service, work: f64, held: f64) -> (Option<Servers>, Option<Servers>) {
        let cpu = svc.capacity.map(|cap| {
            let c = (cap * work).round().max(1.0);
            (c as u64, if cap > 0.0 { cap / c } else { 0.0 })
        });
        let pool = svc.concurrency.and_then(|n| {
            let n = n.max(1.0);
            (held > 0.0).then(|| (n as u64, 1.0 / held))
        });
        (cpu, pool)
    }

    /// What a request to one operation of this service becomes, given what
    /// its work (own time and calls) becomes.
    pub(crate) fn outcome(&self, work: &Dist) -> Dist {
        if self.refused {
            return Dist::fail(0.0);
        }
        let work = &work.after_queue_wait(self.other_p_wait, self.other_wait);
        let served = if self.wait.is_infinite() {
            Dist::fail(f64::INFINITY)
        } else if self.wait <= 0.0 {
            *work
        } else if self.wait_fixed {
            work.delayed(self.wait)
        } else {
            work.after_queue_wait(self.p_wait, self.wait)
        };
        let fast_fail = self.errors + (1.0 - self.errors) * self.block;
        let on_healthy = if fast_fail > 0.0 {
            Dist::mix(&[(fast_fail, &Dist::fail(0.0)), (1.0 - fast_fail, &served)])
        } else {
            served
        };
        if self.hung > 0.0 {
            Dist::mix(&[
                (self.hung, &Dist::fail(f64::INFINITY)),
                (1.0 - self.hung, &on_healthy),
            ])
        } else {
            on_healthy
        }
    }

    /// Whether arrivals exceed what the serving replicas finish.
    pub(crate) fn overloaded(&self) -> bool {
        !self.refused && self.serving > 0 && self.per_replica >= self.throughput
    }
}
