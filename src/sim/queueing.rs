//! Queueing in closed form. Each replica of a service is an M/M/c/K queue
//! (docs/engine.md, "Queueing, exactly"): Poisson arrivals, `c` servers with
//! exponential service times, room for `K = c + queue` requests in all.
//! This module gives its long-run figures — the share of arrivals turned
//! away because the queue is full, the chance that an admitted request
//! waits, and the mean wait — in O(c) time whatever K is (geometric tails
//! are summed in closed form; a queue of a billion costs what a queue of
//! ten does), plus Erlang B and C, which they rest on.

use statrs::function::gamma::{gamma_ur, ln_gamma};

/// Above this many servers Erlang B comes from the incomplete gamma
/// function instead of its O(c) recursion.
const RECURSION_LIMIT: u64 = 100_000;

/// Erlang B: the share of arrivals that find all `c` servers busy in a
/// loss system (no queue) offered `a` = λ ÷ μ erlangs.
///
/// Uses the stable recursion B(n) = a·B(n−1) ÷ (n + a·B(n−1)), O(c); above
/// 100,000 servers, B = P(N = c) ÷ P(N ≤ c) for N ~ Poisson(a), through the
/// regularised incomplete gamma function.
pub fn erlang_b(c: u64, a: f64) -> f64 {
    if a <= 0.0 {
        return if c == 0 { 1.0 } else { 0.0 };
    }
    if !a.is_finite() {
        return 1.0;
    }
    if c <= RECURSION_LIMIT {
        let mut b = 1.0;
        for n in 1..=c {
            let ab = a * b;
            b = ab / (n as f64 + ab);
        }
        return b;
    }
    let c = c as f64;
    let log_pmf = c * a.ln() - a - ln_gamma(c + 1.0);
    let cdf = gamma_ur(c + 1.0, a);
    if cdf <= 0.0 {
        return 1.0;
    }
    (log_pmf.exp() / cdf).clamp(0.0, 1.0)
}

/// Erlang C: the chance that an arrival waits in an M/M/c queue with no
/// bound, offered `a` < c erlangs (1 at or above c: everyone waits).
pub fn erlang_c(c: u64, a: f64) -> f64 {
    let cf = c as f64;
    if a >= cf {
        return 1.0;
    }
    let b = erlang_b(c, a);
    cf * b / (cf - a * (1.0 - b))
}

/// The long-run figures of one replica's queue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Queue {
    /// Share of arrivals turned away because the queue is full (0 when it
    /// has no bound).
    pub block: f64,
    /// Chance that an admitted request waits for a server.
    pub p_wait: f64,
    /// Mean wait of admitted requests, seconds (infinite: an unbounded
    /// queue past capacity, whose backlog grows without end).
    pub wait: f64,
    /// Mean number of requests waiting.
    pub queued: f64,
}

impl Queue {
    /// No queueing at all.
    pub const NONE: Queue = Queue {
        block: 0.0,
        p_wait: 0.0,
        wait: 0.0,
        queued: 0.0,
    };
}

/// An M/M/c/K queue's long-run figures: `servers` servers (c ≥ 1), each
/// finishing `rate` requests per second (μ), `arrivals` requests per second
/// (λ), and room for `queue` more beyond the servers (K − c; `None`: no
/// bound).
///
/// With a = λ ÷ μ, ρ = a ÷ c, B = Erlang B(c, a) and G = Σ_{j=0}^{K−c} ρ^j,
/// the stationary probabilities of n ≥ c are ρ^{n−c} ÷ D with
/// D = 1/B − 1 + G (all relative to a^c ÷ c!), so the blocking share is
/// ρ^{K−c} ÷ D and the mean queue Σ j·ρ^j ÷ D. The geometric sums are
/// taken in closed form (rescaled by ρ^{K−c} above ρ = 1 so that nothing
/// overflows), so the cost is Erlang B's, O(c).
pub fn mmck(servers: u64, rate: f64, arrivals: f64, queue: Option<f64>) -> Queue {
    let c = servers.max(1);
    if arrivals <= 0.0 || rate.is_infinite() {
        return Queue::NONE;
    }
    if rate <= 0.0 {
        // Servers that never finish: every admitted request waits forever.
        return match queue {
            None => Queue {
                block: 0.0,
                p_wait: 1.0,
                wait: f64::INFINITY,
                queued: f64::INFINITY,
            },
            Some(_) => Queue {
                block: 1.0,
                p_wait: 1.0,
                wait: f64::INFINITY,
                queued: queue.unwrap_or(0.0),
            },
        };
    }
    let cf = c as f64;
    let a = arrivals / rate;
    let rho = a / cf;
    let b = erlang_b(c, a);
    let Some(m) = queue else {
        // No bound: Erlang C below capacity, an endless backlog above.
        if rho >= 1.0 {
            return Queue {
                block: 0.0,
                p_wait: 1.0,
                wait: f64::INFINITY,
                queued: f64::INFINITY,
            };
        }
        let p_wait = erlang_c(c, a);
        let wait = p_wait / (cf * rate - arrivals);
        return Queue {
            block: 0.0,
            p_wait,
            wait,
            queued: wait * arrivals,
        };
    };
    let m = m.max(0.0);
    let inv_b_minus_1 = if b > 0.0 {
        1.0 / b - 1.0
    } else {
        f64::INFINITY
    };
    let (block, p_wait, queued) = if rho <= 1.0 {
        let g = geometric(rho, m);
        let s1 = weighted_geometric(rho, m);
        let top = rho.powf(m);
        let d = inv_b_minus_1 + g;
        let block = top / d;
        let p_wait = if d - top > 0.0 {
            (g - top) / (d - top)
        } else {
            0.0
        };
        (block, p_wait, s1 / d)
    } else {
        // Divide everything by ρ^m: with r = 1/ρ < 1 the sums become
        // Σ r^i and Σ (m − i)·r^i, which never overflow.
        let r = 1.0 / rho;
        let g = geometric(r, m);
        let s1 = m * g - weighted_geometric(r, m);
        let scaled = (inv_b_minus_1.ln() - m * rho.ln()).exp();
        let d = scaled + g;
        let block = 1.0 / d;
        let p_wait = if d - 1.0 > 0.0 {
            (g - 1.0) / (d - 1.0)
        } else {
            0.0
        };
        (block, p_wait, s1 / d)
    };
    let admitted = arrivals * (1.0 - block);
    let wait = if admitted > 0.0 {
        queued / admitted
    } else {
        0.0
    };
    Queue {
        block: block.clamp(0.0, 1.0),
        p_wait: p_wait.clamp(0.0, 1.0),
        wait: wait.max(0.0),
        queued: queued.max(0.0),
    }
}

/// Σ_{j=0}^{m} x^j for 0 ≤ x ≤ 1, m ≥ 0 (m may be huge).
fn geometric(x: f64, m: f64) -> f64 {
    let lx = x.ln();
    if x <= 0.0 {
        return 1.0;
    }
    if ((m + 1.0) * lx).abs() < 1e-9 {
        // x is 1 for all purposes over m terms.
        return (m + 1.0) * (1.0 + m * lx / 2.0);
    }
    // (1 − x^{m+1}) ÷ (1 − x), both parts accurate near x = 1.
    -((m + 1.0) * lx).exp_m1() / -(lx.exp_m1())
}

/// Σ_{j=0}^{m} j·x^j for 0 ≤ x ≤ 1, m ≥ 0.
fn weighted_geometric(x: f64, m: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let lx = x.ln();
    if ((m + 1.0) * lx).abs() < 1e-4 {
        // Σ j·e^{jx} ≈ Σ j + x·Σ j² + x²/2·Σ j³ for small m·|ln x|.
        let s1 = m * (m + 1.0) / 2.0;
        let s2 = m * (m + 1.0) * (2.0 * m + 1.0) / 6.0;
        let s3 = s1 * s1;
        return s1 + lx * s2 + lx * lx / 2.0 * s3;
    }
    let xm = (m * lx).exp();
    let one_minus = -(lx.exp_m1());
    x * (1.0 - (m + 1.0) * xm + m * xm * x) / (one_minus * one_minus)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stationary distribution of M/M/c/K by direct summation (the
    /// textbook product form), to check the closed forms against.
    fn brute(c: u64, mu: f64, lambda: f64, k: u64) -> (f64, f64, f64) {
        let a = lambda / mu;
        let mut p = Vec::new();
        let mut term = 1.0;
        for n in 0..=k {
            if n > 0 {
                term *= a / (n.min(c) as f64);
            }
            p.push(term);
        }
        let total: f64 = p.iter().sum();
        let p: Vec<f64> = p.iter().map(|x| x / total).collect();
        let block = p[k as usize];
        let queued: f64 = (c..=k).map(|n| (n - c) as f64 * p[n as usize]).sum();
        let busy_not_full: f64 = (c..k).map(|n| p[n as usize]).sum();
        let p_wait = busy_not_full / (1.0 - block);
        let wait = queued / (lambda * (1.0 - block));
        (block, p_wait, wait)
    }

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn erlang_b_matches_its_definition() {
        // B(c, a) = (a^c / c!) / Σ_{n ≤ c} a^n / n!
        for &(c, a) in &[(1u64, 0.5), (4, 2.8), (12, 10.0), (30, 35.0), (3, 0.01)] {
            let mut term = 1.0;
            let mut sum = 1.0;
            for n in 1..=c {
                term *= a / n as f64;
                sum += term;
            }
            assert!(close(erlang_b(c, a), term / sum, 1e-12), "B({c}, {a})");
        }
    }

    #[test]
    fn erlang_b_for_many_servers_agrees_with_the_recursion() {
        // Just above the recursion's limit, against the recursion itself.
        let c = RECURSION_LIMIT + 1;
        for a in [0.9 * c as f64, c as f64, 1.05 * c as f64] {
            let mut b = 1.0;
            for n in 1..=c {
                let ab = a * b;
                b = ab / (n as f64 + ab);
            }
            assert!(
                close(erlang_b(c, a), b, 1e-6),
                "a = {a}: {} vs {b}",
                erlang_b(c, a)
            );
        }
    }

    #[test]
    fn erlang_c_waits_match_the_textbook_figures() {
        // c = 4 servers of 20 ms each (capacity 200/s) at ρ = 0.7: the
        // one-server formula says 20 ms × 0.7 ÷ 0.3 = 46.7 ms, Erlang C 7.1 ms.
        let q = mmck(4, 50.0, 140.0, None);
        let a: f64 = 2.8;
        let mut term = 1.0;
        let mut sum = 1.0;
        for n in 1..4 {
            term *= a / n as f64;
            sum += term;
        }
        let top = term * a / 4.0 * 4.0 / (4.0 - a);
        let c = top / (sum + top);
        assert!(close(q.p_wait, c, 1e-12));
        assert!(close(q.wait, c / (200.0 - 140.0), 1e-12));
        assert!((q.wait * 1000.0 - 7.1).abs() < 0.05, "{}", q.wait * 1000.0);
        // c = 12 servers of 20 ms at ρ = 5/6: 4.5 ms, not 100 ms.
        let q = mmck(12, 50.0, 500.0, None);
        assert!((q.wait * 1000.0 - 4.5).abs() < 0.05, "{}", q.wait * 1000.0);
        // An unbounded queue past capacity never drains.
        assert!(mmck(1, 10.0, 12.0, None).wait.is_infinite());
    }

    #[test]
    fn mmck_matches_direct_summation() {
        for &(c, mu, lambda, k) in &[
            (1u64, 100.0, 80.0, 11u64),
            (1, 100.0, 120.0, 11),
            (1, 100.0, 250.0, 11),
            (4, 25.0, 70.0, 14),
            (4, 25.0, 99.9, 6),
            (12, 8.0, 100.0, 40),
            (3, 10.0, 30.0, 3),
            (2, 10.0, 20.0, 50),
            (5, 1.0, 0.5, 5),
        ] {
            let (block, p_wait, wait) = brute(c, mu, lambda, k);
            let q = mmck(c, mu, lambda, Some((k - c) as f64));
            assert!(
                close(q.block, block, 1e-9),
                "block c={c} λ={lambda} K={k}: {} vs {block}",
                q.block
            );
            assert!(
                close(q.p_wait, p_wait, 1e-9),
                "p_wait c={c} λ={lambda} K={k}: {} vs {p_wait}",
                q.p_wait
            );
            assert!(
                close(q.wait, wait, 1e-9),
                "wait c={c} λ={lambda} K={k}: {} vs {wait}",
                q.wait
            );
        }
    }

    #[test]
    fn mm1k_figures_from_the_issue() {
        // One server of 10 ms, queue 10 (K = 11). At ρ = 0.8: 1.8 % rejected,
        // 29.7 ms of wait. At ρ = 1.2: 6.5 of 10 waiting, 67 ms of wait.
        let q = mmck(1, 100.0, 80.0, Some(10.0));
        assert!((q.block - 0.018).abs() < 0.0005, "{}", q.block);
        assert!((q.wait * 1000.0 - 29.7).abs() < 0.1, "{}", q.wait * 1000.0);
        let q = mmck(1, 100.0, 120.0, Some(10.0));
        assert!((q.queued - 6.5).abs() < 0.05, "{}", q.queued);
        assert!((q.wait * 1000.0 - 67.0).abs() < 0.5, "{}", q.wait * 1000.0);
    }

    #[test]
    fn huge_queues_cost_nothing_and_stay_finite() {
        // A billion places: below capacity the same as no bound, above it the
        // excess is turned away and the queue sits near its end.
        let bounded = mmck(4, 25.0, 70.0, Some(1e9));
        let unbounded = mmck(4, 25.0, 70.0, None);
        assert!(close(bounded.wait, unbounded.wait, 1e-9));
        let over = mmck(4, 25.0, 150.0, Some(1e9));
        assert!(
            close(over.block, 1.0 - 100.0 / 150.0, 1e-9),
            "{}",
            over.block
        );
        assert!(over.wait.is_finite() && over.wait > 1e6);
        // At exactly ρ = 1 the geometric sums are plain counts.
        let (block, p_wait, wait) = brute(2, 10.0, 20.0, 30);
        let q = mmck(2, 10.0, 20.0, Some(28.0));
        assert!(close(q.block, block, 1e-9) && close(q.p_wait, p_wait, 1e-9));
        assert!(close(q.wait, wait, 1e-9));
    }
}
