//! A renderer-neutral picture of an architecture: boxes, arrows, zones and
//! colours. Built once from a model (and, later, a cascade), then drawn by
//! the DOT, SVG and Mermaid writers, so every format shows the same thing.

/// What a node looks like, from the service's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// An ordinary service: a rounded box.
    Service,
    /// A front end: a box with a double border.
    Frontend,
    /// A gateway: a hexagon.
    Gateway,
    /// A database: a cylinder.
    Database,
    /// A cache: an octagon-ish box (DOT `box3d`).
    Cache,
    /// A queue: DOT's `cds` (a band with a pointed end).
    Queue,
    /// A third party: a dashed box.
    External,
}

/// A fill colour with a meaning. The palette is shared by every format and
/// readable on a projector; states also carry words, never colour alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// No state shown (plain architecture picture).
    Neutral,
    /// Serving normally.
    Healthy,
    /// Serving, slowly.
    Slow,
    /// Serving, losing some function.
    Degraded,
    /// (Almost) nothing succeeds.
    Down,
}

impl Paint {
    /// Fill colour (hex).
    pub fn fill(self) -> &'static str {
        match self {
            Paint::Neutral => "#f4f6f8",
            Paint::Healthy => "#d8f0d8",
            Paint::Slow => "#fff1b8",
            Paint::Degraded => "#ffd39b",
            Paint::Down => "#f4a6a6",
        }
    }

    /// Border and text colour (hex).
    pub fn stroke(self) -> &'static str {
        match self {
            Paint::Neutral => "#44515e",
            Paint::Healthy => "#2e6b2e",
            Paint::Slow => "#7a6200",
            Paint::Degraded => "#9a4d00",
            Paint::Down => "#a11d1d",
        }
    }
}

/// How an arrow is drawn, from the dependency's attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeStyle {
    /// Hard, synchronous, request phase: a solid line.
    Hard,
    /// Soft (its errors degrade, not fail): dashed.
    Soft,
    /// Async hand-off or background polling: dotted.
    Async,
    /// Needed only at startup: dashed and grey.
    Startup,
    /// Fallback or cache-miss path (failover target, `on_miss`): thin and grey.
    Alternative,
}

/// A zone (or other group) drawn around the nodes that live only in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// Shown at the top of the box.
    pub label: String,
}

/// One box in the picture.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The service name: untrusted text, escaped by every writer.
    pub label: String,
    /// A second, smaller line (replicas, zones, state and success …).
    pub detail: Option<String>,
    /// Its outline.
    pub shape: Shape,
    /// Its colour.
    pub paint: Paint,
    /// One line per entry operation of an entry point, drawn under the
    /// detail: `.browse 900 rps`, or in a cascade `.browse DOWN 0%`.
    pub operations: Vec<String>,
    /// Index into [`Diagram::clusters`] when all its replicas live in one zone.
    pub cluster: Option<usize>,
    /// Drawn with a thick border (a fault's target, an entry point).
    pub emphasis: bool,
}

/// One arrow, from caller to callee.
#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    /// Index into [`Diagram::nodes`] of the caller.
    pub from: usize,
    /// Index into [`Diagram::nodes`] of the callee.
    pub to: usize,
    /// Policy label (`1s ×3`, `soft`, …): untrusted text, escaped by writers.
    pub label: Option<String>,
    /// Line style.
    pub style: EdgeStyle,
    /// Drawn thick and red: part of a fault's causal path.
    pub highlight: bool,
}

/// A whole picture.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Diagram {
    /// Shown at the top (the model's name, the faults).
    pub title: String,
    /// Zones.
    pub clusters: Vec<Cluster>,
    /// Boxes, in model order.
    pub nodes: Vec<Node>,
    /// Arrows, in model order of their callers.
    pub edges: Vec<Edge>,
}
