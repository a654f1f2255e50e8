//! Outcome distributions: a request's fate as a small mixture of atoms
//! (share, latency, success). Means alone cannot say what a timeout does to
//! a partly slow dependency (`+100s@5%`: 5 % time out, 95 % are fine), so
//! the steady state carries mixtures and caps them at [`MAX_ATOMS`] by
//! merging neighbours, which keeps every mean exact.

use smallvec::{SmallVec, smallvec};

/// Most atoms a distribution keeps.
pub const MAX_ATOMS: usize = 8;

/// Atoms stored inline: a distribution never allocates in the hot loop.
pub type Atoms = SmallVec<[Atom; MAX_ATOMS]>;

/// One outcome: `weight` of requests end after `latency` seconds (infinite:
/// never), successfully or not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Atom {
    /// Share of requests (0–1).
    pub weight: f64,
    /// Seconds until the answer (or the failure); `f64::INFINITY` = never.
    pub latency: f64,
    /// Whether the request succeeded.
    pub ok: bool,
}

/// A mixture of outcomes whose weights add up to 1 (or 0 when empty).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dist {
    /// The atoms, sorted by (ok, latency) after [`Dist::normalise`].
    pub atoms: Atoms,
}

impl Dist {
    /// Every request succeeds after `latency`.
    pub fn ok(latency: f64) -> Dist {
        Dist {
            atoms: smallvec![Atom {
                weight: 1.0,
                latency,
                ok: true,
            }],
        }
    }

    /// Every request fails after `latency`.
    pub fn fail(latency: f64) -> Dist {
        Dist {
            atoms: smallvec![Atom {
                weight: 1.0,
                latency,
                ok: false,
            }],
        }
    }

    /// Share of requests that succeed.
    pub fn success(&self) -> f64 {
        self.atoms
            .iter()
            .filter(|a| a.ok)
            .map(|a| a.weight)
            .sum::<f64>()
            .clamp(0.0, 1.0)
            + 0.0 // a negative zero becomes zero, so JSON never says `-0.0`
    }

    /// Share that fails.
    pub fn failure(&self) -> f64 {
        (1.0 - self.success()).clamp(0.0, 1.0)
    }

    /// Mean latency over all requests (infinite if any share never ends).
    pub fn mean_latency(&self) -> f64 {
        mean(self.atoms.iter())
    }

    /// Mean latency of the failures (0 when nothing fails).
    pub fn mean_fail_latency(&self) -> f64 {
        mean(self.atoms.iter().filter(|a| !a.ok))
    }

    /// Mean latency of the successes (0 when nothing succeeds).
    pub fn mean_ok_latency(&self) -> f64 {
        mean(self.atoms.iter().filter(|a| a.ok))
    }

    /// Whether some share waits forever.
    pub fn has_unbounded(&self) -> bool {
        self.atoms
            .iter()
            .any(|a| a.weight > 0.0 && a.latency.is_infinite())
    }

    /// Scales every weight.
    pub fn scaled(mut self, factor: f64) -> Dist {
        for a in &mut self.atoms {
            a.weight *= factor;
        }
        self
    }

    /// Concatenates mixtures (weights should already add up to 1).
    pub fn mix(parts: impl IntoIterator<Item = Dist>) -> Dist {
        let mut atoms: SmallVec<[Atom; 4 * MAX_ATOMS]> = SmallVec::new();
        for p in parts {
            atoms.extend_from_slice(&p.atoms);
        }
        Dist::from_many(&mut atoms)
    }

    /// Adds a fixed delay to every outcome.
    pub fn delayed(mut self, seconds: f64) -> Dist {
        for a in &mut self.atoms {
            a.latency += seconds;
        }
        self
    }

    /// Every answer slower than `timeout` becomes a failure at `timeout`.
    pub fn with_timeout(mut self, timeout: Option<f64>) -> Dist {
        if let Some(t) = timeout {
            for a in &mut self.atoms {
                if a.latency > t {
                    a.latency = t;
                    a.ok = false;
                }
            }
            self.normalise();
        }
        self
    }

    /// Marks every failure as a success (a soft dependency's failure, or a
    /// stale copy served instead), keeping its latency.
    pub fn forgiven(mut self) -> Dist {
        for a in &mut self.atoms {
            a.ok = true;
        }
        self.normalise();
        self
    }

    /// Both in turn: latencies add, success needs both.
    pub fn then(&self, other: &Dist) -> Dist {
        self.combine(other, |a, b| a + b)
    }

    /// Both at once: the slower decides the latency, success needs both.
    pub fn alongside(&self, other: &Dist) -> Dist {
        self.combine(other, f64::max)
    }

    fn combine(&self, other: &Dist, latency: impl Fn(f64, f64) -> f64) -> Dist {
        if self.atoms.is_empty() {
            return other.clone();
        }
        if other.atoms.is_empty() {
            return self.clone();
        }
        let mut atoms: SmallVec<[Atom; MAX_ATOMS * MAX_ATOMS]> = SmallVec::new();
        for a in &self.atoms {
            for b in &other.atoms {
                atoms.push(Atom {
                    weight: a.weight * b.weight,
                    latency: latency(a.latency, b.latency),
                    ok: a.ok && b.ok,
                });
            }
        }
        Dist::from_many(&mut atoms)
    }

    /// Normalises any number of atoms into a capped distribution.
    fn from_many<const N: usize>(atoms: &mut SmallVec<[Atom; N]>) -> Dist
    where
        [Atom; N]: smallvec::Array<Item = Atom>,
    {
        normalise_atoms(atoms);
        Dist {
            atoms: atoms.iter().copied().collect(),
        }
    }

    /// `k` independent copies in turn (or at once when `parallel`).
    pub fn repeated(&self, k: u32, parallel: bool) -> Dist {
        let mut result = Dist::default();
        for _ in 0..k.min(64) {
            result = if parallel {
                result.alongside(self)
            } else {
                result.then(self)
            };
        }
        if k > 64 {
            // Beyond 64 calls, keep the shape of 64 and fix the figures: in
            // turn, latencies scale with k; at once, the slowest of 64 is
            // close enough. Success needs all k either way.
            if !parallel {
                let extra = f64::from(k) / 64.0;
                for a in &mut result.atoms {
                    a.latency *= extra;
                }
            }
            let p = self.success().powf(f64::from(k));
            return Dist::mix([
                Dist::ok(result.mean_ok_latency()).scaled(p),
                Dist::fail(result.mean_latency()).scaled(1.0 - p),
            ]);
        }
        result
    }

    /// Sorts, drops empty atoms, merges equal ones and caps the count by
    /// merging the closest neighbours of the same outcome (weighted means).
    pub fn normalise(&mut self) {
        normalise_atoms(&mut self.atoms);
    }
}

/// [`Dist::normalise`] on any small vector of atoms, in place.
fn normalise_atoms<A: smallvec::Array<Item = Atom>>(atoms: &mut SmallVec<A>) {
    atoms.retain(|a| a.weight > 1e-15);
    // A wait with no bound is a failure, whatever forgave it (docs/engine.md): a
    // soft dependency, a stale copy or a failover cannot answer a request
    // that never gets its turn.
    for a in atoms.iter_mut() {
        if a.latency.is_infinite() {
            a.ok = false;
        }
    }
    atoms.sort_by(|a, b| a.ok.cmp(&b.ok).then(a.latency.total_cmp(&b.latency)));
    // Merge equal neighbours in place.
    let mut w = 0;
    for r in 0..atoms.len() {
        let a = atoms[r];
        if w > 0 {
            let last = &mut atoms[w - 1];
            if last.ok == a.ok
                && (last.latency == a.latency || (last.latency - a.latency).abs() < 1e-12)
            {
                last.weight += a.weight;
                continue;
            }
        }
        atoms[w] = a;
        w += 1;
    }
    atoms.truncate(w);
    while atoms.len() > MAX_ATOMS {
        // Merge the adjacent same-outcome pair whose latencies are closest
        // (relative), never mixing a finite latency with an infinite one.
        let mut best: Option<(usize, f64)> = None;
        for i in 0..atoms.len() - 1 {
            let (a, b) = (atoms[i], atoms[i + 1]);
            if a.ok != b.ok || a.latency.is_infinite() != b.latency.is_infinite() {
                continue;
            }
            let gap = (b.latency - a.latency).abs() / (a.latency.abs() + b.latency.abs() + 1e-9);
            if best.is_none_or(|(_, g)| gap < g) {
                best = Some((i, gap));
            }
        }
        let Some((i, _)) = best else { break };
        let (a, b) = (atoms[i], atoms[i + 1]);
        let weight = a.weight + b.weight;
        let latency = if a.latency.is_infinite() {
            a.latency
        } else {
            (a.latency * a.weight + b.latency * b.weight) / weight
        };
        atoms[i] = Atom {
            weight,
            latency,
            ok: a.ok,
        };
        atoms.remove(i + 1);
    }
}

fn mean<'a>(atoms: impl Iterator<Item = &'a Atom>) -> f64 {
    let (mut w, mut sum) = (0.0, 0.0);
    for a in atoms {
        if a.weight <= 0.0 {
            continue;
        }
        if a.latency.is_infinite() {
            return f64::INFINITY;
        }
        w += a.weight;
        sum += a.weight * a.latency;
    }
    if w > 0.0 { sum / w } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_applies_to_each_part_of_a_mixture() {
        // 95 % answer in 20 ms, 5 % in 100 s; a 1 s timeout fails only the 5 %.
        let d = Dist::mix([Dist::ok(0.02).scaled(0.95), Dist::ok(100.0).scaled(0.05)])
            .with_timeout(Some(1.0));
        assert!((d.success() - 0.95).abs() < 1e-12);
        assert!((d.mean_latency() - (0.95 * 0.02 + 0.05 * 1.0)).abs() < 1e-12);
    }

    #[test]
    fn sequential_and_parallel_composition() {
        let a = Dist::mix([Dist::ok(0.1).scaled(0.5), Dist::ok(0.3).scaled(0.5)]);
        let b = Dist::ok(0.2);
        assert!((a.then(&b).mean_latency() - 0.4).abs() < 1e-12);
        // max(0.1, 0.2) and max(0.3, 0.2): mean 0.25
        assert!((a.alongside(&b).mean_latency() - 0.25).abs() < 1e-12);
        let f = Dist::mix([Dist::ok(0.1).scaled(0.9), Dist::fail(0.0).scaled(0.1)]);
        assert!((f.repeated(3, false).success() - 0.9f64.powi(3)).abs() < 1e-12);
    }

    #[test]
    fn capping_keeps_the_mean() {
        let mut d = Dist::default();
        for i in 0..20 {
            d.atoms.push(Atom {
                weight: 0.05,
                latency: f64::from(i) * 0.01,
                ok: true,
            });
        }
        let before = d.mean_latency();
        d.normalise();
        assert!(d.atoms.len() <= MAX_ATOMS);
        assert!((d.mean_latency() - before).abs() < 1e-12);
    }

    #[test]
    fn unbounded_waits_stay_unbounded() {
        let d = Dist::mix([
            Dist::ok(0.01).scaled(0.9),
            Dist::fail(f64::INFINITY).scaled(0.1),
        ]);
        assert!(d.has_unbounded());
        assert!(d.mean_latency().is_infinite());
        assert!(!d.clone().with_timeout(Some(2.0)).has_unbounded());
    }
}
