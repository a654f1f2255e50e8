//! Many distributions, stored by their atoms only.
//!
//! A [`Dist`] holds room for its largest shape in place (16 spans and 4
//! failure points, about 600 bytes), so that copying one never allocates.
//! The steady state keeps several per call path; at 100,000 services a
//! `Vec<Dist>` is 60 MB each, although a model whose services have no
//! latency of their own answers with one or two atoms. [`Dists`] keeps each
//! distribution's atoms only, in two shared arrays: a slot keeps the room it
//! was given and moves to the end of the array only when a value needs
//! more (at most twice its atoms, up to the budget). Values come back bit
//! for bit.

use super::dist::{Dist, FAIL_ATOMS, OK_ATOMS, Point, Span};

/// Where one slot's atoms are.
#[derive(Debug, Clone, Copy)]
struct Slot {
    ok_at: u32,
    fail_at: u32,
    n_ok: u8,
    ok_room: u8,
    n_fail: u8,
    fail_room: u8,
}

/// A vector of distributions, indexed as a `Vec<Dist>` would be.
#[derive(Debug, Clone, Default)]
pub struct Dists {
    slots: Vec<Slot>,
    spans: Vec<Span>,
    points: Vec<Point>,
}

impl Dists {
    /// `n` copies of `d`.
    pub fn filled(n: usize, d: &Dist) -> Dists {
        let mut all = Dists::with_capacity(n, n * d.oks().len(), n * d.fails().len());
        for _ in 0..n {
            all.push(d);
        }
        all
    }

    fn with_capacity(n: usize, spans: usize, points: usize) -> Dists {
        Dists {
            slots: Vec::with_capacity(n),
            spans: Vec::with_capacity(spans),
            points: Vec::with_capacity(points),
        }
    }

    /// How many distributions it holds.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Appends `d`.
    pub fn push(&mut self, d: &Dist) {
        let slot = Slot {
            ok_at: self.spans.len() as u32,
            fail_at: self.points.len() as u32,
            n_ok: d.oks().len() as u8,
            ok_room: d.oks().len() as u8,
            n_fail: d.fails().len() as u8,
            fail_room: d.fails().len() as u8,
        };
        self.spans.extend_from_slice(d.oks());
        self.points.extend_from_slice(d.fails());
        self.slots.push(slot);
    }

    /// The `i`th distribution.
    pub fn get(&self, i: usize) -> Dist {
        Dist::from_atoms(self.oks(i), self.fails(i))
    }

    /// The `i`th distribution's atoms: equal to a `Dist`'s
    /// [`Dist::atoms`] exactly when the two are equal.
    pub fn atoms(&self, i: usize) -> (&[Span], &[Point]) {
        (self.oks(i), self.fails(i))
    }

    /// The `i`th distribution's successes.
    pub fn oks(&self, i: usize) -> &[Span] {
        let s = self.slots[i];
        &self.spans[s.ok_at as usize..s.ok_at as usize + usize::from(s.n_ok)]
    }

    /// The `i`th distribution's failures.
    pub fn fails(&self, i: usize) -> &[Point] {
        let s = self.slots[i];
        &self.points[s.fail_at as usize..s.fail_at as usize + usize::from(s.n_fail)]
    }

    /// [`Dist::success`] of the `i`th distribution.
    pub fn success(&self, i: usize) -> f64 {
        super::dist::success_of(self.oks(i), self.fails(i))
    }

    /// [`Dist::mean_latency`] of the `i`th distribution.
    pub fn mean_latency(&self, i: usize) -> f64 {
        super::dist::mean_latency_of(self.oks(i), self.fails(i))
    }

    /// Replaces the `i`th distribution with `d`.
    pub fn set(&mut self, i: usize, d: &Dist) {
        let (oks, fails) = (d.oks(), d.fails());
        let slot = &mut self.slots[i];
        if oks.len() > usize::from(slot.ok_room) {
            let room = (2 * oks.len()).min(OK_ATOMS);
            slot.ok_at = self.spans.len() as u32;
            slot.ok_room = room as u8;
            self.spans.resize(self.spans.len() + room, Span::default());
        }
        if fails.len() > usize::from(slot.fail_room) {
            let room = (2 * fails.len()).min(FAIL_ATOMS);
            slot.fail_at = self.points.len() as u32;
            slot.fail_room = room as u8;
            self.points
                .resize(self.points.len() + room, Point { w: 0.0, t: 0.0 });
        }
        slot.n_ok = oks.len() as u8;
        slot.n_fail = fails.len() as u8;
        let (ok_at, fail_at) = (slot.ok_at as usize, slot.fail_at as usize);
        self.spans[ok_at..ok_at + oks.len()].copy_from_slice(oks);
        self.points[fail_at..fail_at + fails.len()].copy_from_slice(fails);
    }

    /// [`Dists::set`], returning whether the atoms differ from those it
    /// held, bit for bit (what the steady state calls a change: a value
    /// that differs only in the sign of a zero is a change too, since later
    /// arithmetic may tell them apart).
    pub fn replace(&mut self, i: usize, d: &Dist) -> bool {
        let changed = !super::dist::same_atoms(d.atoms(), self.atoms(i));
        self.set(i, d);
        changed
    }
}

impl FromIterator<Dist> for Dists {
    fn from_iter<I: IntoIterator<Item = Dist>>(iter: I) -> Dists {
        let iter = iter.into_iter();
        let mut all = Dists::with_capacity(iter.size_hint().0, 0, 0);
        for d in iter {
            all.push(&d);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes() -> Vec<Dist> {
        vec![
            Dist::ok(0.0),
            Dist::fail(f64::INFINITY),
            Dist::exponential(0.02),
            Dist::EMPTY,
            Dist::mix(&[(0.7, &Dist::exponential(0.01)), (0.3, &Dist::fail(0.5))]),
            Dist::ok(0.003),
        ]
    }

    #[test]
    fn values_come_back_bit_for_bit_whatever_their_size() {
        let all = shapes();
        let mut store = Dists::filled(all.len(), &Dist::ok(0.0));
        // Every slot takes every shape in turn: growing, shrinking, growing.
        for round in 0..all.len() {
            for i in 0..all.len() {
                let d = all[(i + round) % all.len()];
                store.set(i, &d);
                assert!(store.get(i).same_bits(&d), "slot {i} round {round}");
            }
            for i in 0..all.len() {
                assert!(store.get(i).same_bits(&all[(i + round) % all.len()]));
            }
        }
        let collected: Dists = all.iter().copied().collect();
        assert_eq!(collected.len(), all.len());
        assert!(
            all.iter()
                .enumerate()
                .all(|(i, d)| collected.get(i).same_bits(d))
        );
        // `replace` says whether the value changed, and stores it.
        let mut one = Dists::filled(1, &all[0]);
        assert!(!one.replace(0, &all[0]));
        assert!(one.replace(0, &all[1]));
        assert!(one.get(0).same_bits(&all[1]));
        // A zero's sign is a change.
        let (zero, minus_zero) = (Dist::ok(0.0), Dist::ok(-0.0));
        let mut one = Dists::filled(1, &zero);
        assert!(one.replace(0, &minus_zero));
        assert!(!one.replace(0, &minus_zero));
    }

    #[test]
    fn a_slot_moves_only_when_a_value_outgrows_it() {
        let mut store = Dists::filled(3, &Dist::ok(0.0));
        let spans = store.spans.len();
        store.set(1, &Dist::ok(0.5));
        assert_eq!(store.spans.len(), spans, "same size: in place");
        store.set(1, &Dist::exponential(0.02));
        let grown = store.spans.len();
        assert!(grown > spans);
        store.set(1, &Dist::ok(0.1));
        store.set(1, &Dist::exponential(0.03));
        assert_eq!(store.spans.len(), grown, "back within its room: in place");
    }
}
