//! Strongly connected components by Tarjan's algorithm with an explicit
//! stack: no recursion, so a chain of a million services is as safe as a
//! chain of three.

/// The strongly connected components of a directed graph, listed callees
/// first: when `a → b` (a depends on b), b's component comes no later than
/// a's. Members of a component are sorted ascending.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Components {
    /// Members, component after component.
    members: Vec<u32>,
    /// Component `c` is `members[offset[c]..offset[c + 1]]`.
    offset: Vec<u32>,
    /// Component of each vertex.
    of: Vec<u32>,
    /// Per component: it holds a cycle (two or more members, or one
    /// member with an edge to itself).
    cyclic: Vec<bool>,
}

impl Components {
    /// Number of components.
    pub fn len(&self) -> usize {
        self.offset.len().saturating_sub(1)
    }

    /// Whether there are no components (an empty graph).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The members of component `c`, ascending.
    pub fn members(&self, c: usize) -> &[u32] {
        &self.members[self.offset[c] as usize..self.offset[c + 1] as usize]
    }

    /// The component vertex `v` belongs to; components are numbered in
    /// topological order, callees first.
    pub fn of(&self, v: usize) -> usize {
        self.of[v] as usize
    }

    /// Whether component `c` holds a cycle (more than one member, or a
    /// member that depends on itself).
    pub fn is_cyclic(&self, c: usize) -> bool {
        self.cyclic[c]
    }

    /// Every component's members, callees first.
    pub fn iter(&self) -> impl Iterator<Item = &[u32]> + '_ {
        (0..self.len()).map(|c| self.members(c))
    }

    /// Tarjan's algorithm over the graph whose vertex `v` has the successors
    /// `targets[offset[v]..offset[v + 1]]` (a compressed adjacency list).
    ///
    /// Iterative: the depth-first search keeps its own stack of
    /// (vertex, next successor), so the depth of the graph never touches
    /// the call stack. O(V + E) time, O(V) extra space.
    pub fn tarjan(offset: &[u32], targets: &[u32]) -> Components {
        let n = offset.len().saturating_sub(1);
        const UNSEEN: u32 = u32::MAX;
        let mut index = vec![UNSEEN; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut stack: Vec<u32> = Vec::new();
        let mut call: Vec<(u32, u32)> = Vec::new();
        let mut next_index = 0u32;
        let mut out = Components {
            members: Vec::with_capacity(n),
            offset: vec![0],
            of: vec![0; n],
            cyclic: Vec::new(),
        };
        for root in 0..n as u32 {
            if index[root as usize] != UNSEEN {
                continue;
            }
            call.push((root, offset[root as usize]));
            index[root as usize] = next_index;
            low[root as usize] = next_index;
            next_index += 1;
            stack.push(root);
            on_stack[root as usize] = true;
            while let Some(top) = call.last_mut() {
                let v = top.0;
                let vi = v as usize;
                if top.1 < offset[vi + 1] {
                    let w = targets[top.1 as usize];
                    top.1 += 1;
                    let wi = w as usize;
                    if index[wi] == UNSEEN {
                        index[wi] = next_index;
                        low[wi] = next_index;
                        next_index += 1;
                        stack.push(w);
                        on_stack[wi] = true;
                        call.push((w, offset[wi]));
                    } else if on_stack[wi] {
                        low[vi] = low[vi].min(index[wi]);
                    }
                    continue;
                }
                // v is finished: close its component if it is a root, then
                // pass its low link to its parent.
                call.pop();
                if low[vi] == index[vi] {
                    let c = out.offset.len() as u32 - 1;
                    let start = out.members.len();
                    loop {
                        let w = stack.pop().expect("v is on the stack");
                        on_stack[w as usize] = false;
                        out.of[w as usize] = c;
                        out.members.push(w);
                        if w == v {
                            break;
                        }
                    }
                    out.members[start..].sort_unstable();
                    let single = out.members.len() - start == 1;
                    let self_loop = single
                        && targets[offset[vi] as usize..offset[vi + 1] as usize].contains(&v);
                    out.cyclic.push(!single || self_loop);
                    out.offset.push(out.members.len() as u32);
                }
                if let Some(&(parent, _)) = call.last() {
                    let p = parent as usize;
                    low[p] = low[p].min(low[vi]);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compressed adjacency list from an edge list.
    fn csr(n: usize, edges: &[(u32, u32)]) -> (Vec<u32>, Vec<u32>) {
        let mut offset = vec![0u32; n + 1];
        for &(a, _) in edges {
            offset[a as usize + 1] += 1;
        }
        for i in 0..n {
            offset[i + 1] += offset[i];
        }
        let mut fill = offset.clone();
        let mut targets = vec![0u32; edges.len()];
        for &(a, b) in edges {
            targets[fill[a as usize] as usize] = b;
            fill[a as usize] += 1;
        }
        (offset, targets)
    }

    #[test]
    fn components_come_callees_first() {
        // 0 → 1 ⇄ 2 → 3, 4 alone, 5 → 5.
        let (o, t) = csr(6, &[(0, 1), (1, 2), (2, 1), (2, 3), (5, 5)]);
        let c = Components::tarjan(&o, &t);
        let all: Vec<Vec<u32>> = c.iter().map(<[u32]>::to_vec).collect();
        assert_eq!(all, vec![vec![3], vec![1, 2], vec![0], vec![4], vec![5]]);
        assert!(c.is_cyclic(c.of(1)) && c.is_cyclic(c.of(5)));
        assert!(!c.is_cyclic(c.of(0)) && !c.is_cyclic(c.of(4)));
        assert!(c.of(3) < c.of(1) && c.of(1) < c.of(0));
    }

    /// A chain far deeper than any call stack would allow.
    #[test]
    fn a_million_deep_chain_needs_no_recursion() {
        let n = 1_000_000u32;
        let edges: Vec<(u32, u32)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        let (o, t) = csr(n as usize, &edges);
        let c = Components::tarjan(&o, &t);
        assert_eq!(c.len(), n as usize);
        assert_eq!(c.members(0), [n - 1]);
        let ring: Vec<(u32, u32)> = (0..n).map(|i| (i, (i + 1) % n)).collect();
        let (o, t) = csr(n as usize, &ring);
        let c = Components::tarjan(&o, &t);
        assert_eq!(c.len(), 1);
        assert_eq!(c.members(0).len(), n as usize);
    }

    proptest::proptest! {
        /// Laws: every edge goes to an earlier or the same component; two
        /// vertices share a component exactly when each reaches the other.
        #[test]
        fn components_are_mutual_reachability_in_topological_order(
            n in 1usize..12,
            raw in proptest::collection::vec((0u32..12, 0u32..12), 0..40),
        ) {
            let edges: Vec<(u32, u32)> = raw
                .into_iter()
                .filter(|&(a, b)| (a as usize) < n && (b as usize) < n)
                .collect();
            let (o, t) = csr(n, &edges);
            let c = Components::tarjan(&o, &t);
            let mut reach = vec![vec![false; n]; n];
            for (v, row) in reach.iter_mut().enumerate() {
                let mut stack = vec![v];
                while let Some(x) = stack.pop() {
                    for &y in &t[o[x] as usize..o[x + 1] as usize] {
                        if !row[y as usize] {
                            row[y as usize] = true;
                            stack.push(y as usize);
                        }
                    }
                }
            }
            for &(a, b) in &edges {
                proptest::prop_assert!(c.of(b as usize) <= c.of(a as usize));
            }
            for (a, row) in reach.iter().enumerate() {
                for (b, &forth) in row.iter().enumerate() {
                    let same = a == b || (forth && reach[b][a]);
                    proptest::prop_assert_eq!(c.of(a) == c.of(b), same);
                }
                proptest::prop_assert_eq!(c.is_cyclic(c.of(a)), row[a]);
            }
        }
    }
}
