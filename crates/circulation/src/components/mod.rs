//! The circuit's components, one file each: its law (equation in the doc comment), its states
//! and signals by name, its parameters with units and sources, and an analytic unit test.
//!
//! Three roles, after Physiolibrary's ports and svZeroDSolver's blocks:
//!
//! * **nodes** ([`NodeLaw`]) hold a volume (one state) and give a pressure: chambers,
//!   compliances (with an optional volume held inside them, such as the balloon's gas, and an
//!   optional external pressure, such as the tissue pressure on intramyocardial vessels);
//! * **links** ([`LinkLaw`]) carry a flow from an upstream to a downstream node: resistances,
//!   conduits with inertance, valves, stenotic arteries, orifices, waterfalls and pumps;
//! * **controllers** ([`ControllerLaw`]) hold slow states, sense signals of the circuit and
//!   drive factors on other components' parameters: coronary autoregulation, the baroreflex.
//!
//! Couplings between components are [`Signal`]s handed to a component when the circuit is
//! assembled ([`crate::circuit`]): a component reads only the signals it was given.
//!
//! Adding a kind of component: write its file with a law implementing one of the three traits,
//! and add it to the list at the end of this file (`node_kinds!`, `link_kinds!` or
//! `controller_kinds!`): the list generates one vector per kind, so the evaluation loops over
//! plain data of one type at a time, with no dispatch in the inner loop.

pub mod activation;
pub mod annulus;
pub mod aortic_segment;
pub mod autoregulation;
pub mod baroreflex;
pub mod branch_artery;
pub mod centrifugal_pump;
pub mod chamber;
pub mod compliance;
pub mod conduit;
pub mod iliac_artery;
pub mod impella;
pub mod ischaemic_territory;
pub mod orifice;
pub mod resistance;
pub mod smooth;
pub mod stenosis;
pub mod tabulated;
pub mod tissue_pressure;
pub mod valve;
pub mod waterfall;
pub mod wire_pressure;

pub use activation::{DoubleHill, Drive, HeartActivation, HeartParams};
pub use aortic_segment::{AorticSegment, Occlusion};
pub use autoregulation::Autoregulation;
pub use baroreflex::{Baroreflex, BaroreflexParams};
pub use branch_artery::{BranchArtery, OstiumCover};
pub use centrifugal_pump::{CentrifugalPump, EcmoParams};
pub use chamber::{Chamber, ChamberParams};
pub use compliance::Compliance;
pub use conduit::Conduit;
pub use iliac_artery::{Access, IliacArtery};
pub use impella::{Impella, ImpellaParams};
pub use ischaemic_territory::{IschaemiaParams, IschaemicTerritory, TerritoryOxygen};
pub use orifice::{Orifice, VsdParams};
pub use resistance::Resistance;
pub use smooth::{smooth_max, smooth_relu, soft_clamp01};
pub use stenosis::{Stenosis, StenoticArtery};
pub use tissue_pressure::TissuePressure;
pub use valve::{Valve, ValveParams};
pub use waterfall::Waterfall;
pub use wire_pressure::WirePressure;

/// A signal computed from node pressures, after every node and before the links.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CouplingKind {
    /// Tissue pressure on intramyocardial vessels ([`TissuePressure`]).
    Tissue(TissuePressure),
    /// Pressure a coronary wire reads distal to a stenosis ([`WirePressure`]).
    Wire(WirePressure),
}

impl CouplingKind {
    /// Its value from the workspace.
    #[inline]
    pub fn value(&self, w: &Workspace) -> f64 {
        match self {
            Self::Tissue(t) => t.value(w),
            Self::Wire(p) => p.value(w),
        }
    }

    /// Signals it reads.
    pub fn reads(&self) -> Vec<Signal> {
        match self {
            Self::Tissue(t) => vec![t.chamber_pressure],
            Self::Wire(p) => p.reads(),
        }
    }
}

impl From<TissuePressure> for CouplingKind {
    fn from(t: TissuePressure) -> Self {
        Self::Tissue(t)
    }
}

impl From<WirePressure> for CouplingKind {
    fn from(p: WirePressure) -> Self {
        Self::Wire(p)
    }
}

/// 1 mmHg in dyn/cm² (g·cm⁻¹·s⁻²).
pub const DYN_CM2_PER_MMHG: f64 = 1333.22;

/// A value of the circuit's evaluation workspace: a pressure, a flow, an activation, a device
/// input, a coupling or a controller's output. Handed out by the assembly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signal(pub(crate) u8);

impl Signal {
    /// Position in the workspace (and in [`crate::Circulation::signal_names`]).
    #[inline]
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// Most signals a circuit can have: a [`Signal`] is a `u8`, so reading the workspace needs no
/// bounds check in the inner loop.
pub const MAX_SIGNALS: usize = 256;

/// The values of every signal in one evaluation, indexed by [`Signal`].
#[derive(Clone, PartialEq)]
pub struct Workspace(Box<[f64; MAX_SIGNALS]>);

impl Workspace {
    /// All signals zero.
    pub fn new() -> Self {
        Self(Box::new([0.0; MAX_SIGNALS]))
    }

    /// A workspace whose first signals hold `values` (for tests of a single law).
    pub fn from_values(values: &[f64]) -> Self {
        let mut w = Self::new();
        w.0[..values.len()].copy_from_slice(values);
        w
    }

    /// The values of the first `n` signals.
    pub fn values(&self, n: usize) -> &[f64] {
        &self.0[..n]
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Workspace")
    }
}

impl std::ops::Index<Signal> for Workspace {
    type Output = f64;
    #[inline]
    fn index(&self, s: Signal) -> &f64 {
        &self.0[usize::from(s.0)]
    }
}

impl std::ops::IndexMut<Signal> for Workspace {
    #[inline]
    fn index_mut(&mut self, s: Signal) -> &mut f64 {
        &mut self.0[usize::from(s.0)]
    }
}

/// A state as it was declared to the assembly (before the state layout is fixed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateRef(pub(crate) usize);

/// The state layout fixed by the assembly: the position of every declared state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    pub(crate) positions: Vec<usize>,
}

impl Layout {
    /// Position of a declared state in the state vector.
    #[inline]
    pub fn position(&self, s: StateRef) -> usize {
        self.positions[s.0]
    }
}

/// A state variable of a component, as the component declares it; its position in the state
/// vector is handed out by the assembly.
#[derive(Debug, Clone, PartialEq)]
pub struct StateSpec {
    /// Column name with its unit suffix.
    pub name: String,
    /// Value at the start of a run.
    pub initial: f64,
    /// Scale of the steady-state test: the state is steady when its change over an assist period
    /// is below `steady.tolerance × max(|y|, scale)`. For a controller's deviation, which starts
    /// at 0, this is its scale: the baroreflex's arms take their span (saturation).
    pub steady_scale: f64,
    /// Whether the state carries the circulation's memory from one beat to the next.
    pub memory: Memory,
    /// `τ` when the state relaxes to an input as a first-order lag, `τ ẋ = u(t) − x` (a
    /// controller's filter or effector arm), s; `None` otherwise. Over an assist period of
    /// length `T` (k beats at 1:k) from `x₀`, `x(T) = a x₀ + (1 − a) ū` with `a = e^{−T/τ}`,
    /// so the periodic value for the same input is `ū = (x(T) − a x₀) / (1 − a)`: the
    /// steady-state search uses it to remove the controller's own slow relaxation (see
    /// `counterpulse_sim::steady`).
    pub relaxation_time_s: Option<f64>,
}

/// How a state carries over from one beat to the next.
///
/// The periodic steady state is a fixed point of the beat map on the states that carry memory
/// (compartment volumes, slow controllers): their values at an R wave decide the next beat.
/// Inertial flows and valve openings are slaved to the pressures within milliseconds (L/R of a
/// few ms; every valve closes each beat), so their values at the next R wave do not depend on
/// their values at this one. They are left out of the steady-state test (at the R wave a
/// closing atrioventricular valve makes them sensitive to the integrator's step sequence, not
/// to the approach to the orbit) and out of the extrapolation towards the orbit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Memory {
    /// Carried over, between `min` and `max` (an extrapolated value is kept inside).
    Carried {
        /// Lowest meaningful value.
        min: f64,
        /// Highest meaningful value.
        max: f64,
    },
    /// Slaved to the carried states within a beat.
    Slaved,
}

impl Memory {
    /// Carried over, unbounded.
    pub const CARRIED: Memory = Memory::Carried {
        min: f64::NEG_INFINITY,
        max: f64::INFINITY,
    };
}

/// A compartment's constitutive law: pressure from the blood volume it encloses.
pub trait NodeLaw {
    /// Pressure at enclosed blood volume `volume_ml`, reading its couplings from `w`, mmHg.
    fn pressure(&self, volume_ml: f64, w: &Workspace) -> f64;
    /// Blood volume at pressure `pressure_mmhg` with no coupling active (for the initial state), mL.
    fn volume_at(&self, pressure_mmhg: f64) -> f64;
    /// Signals this law reads (checked by the assembly: each must be computed before it).
    fn reads(&self) -> Vec<Signal> {
        Vec::new()
    }
}

/// A flow path's law.
pub trait LinkLaw {
    /// The link's own states (flow through an inertance, a valve's opening), named from the
    /// link's name; most links have none.
    fn states(&self, _name: &str) -> Vec<StateSpec> {
        Vec::new()
    }
    /// Receives the positions of its own states (in the order declared) and the layout, for
    /// the states of other components it reads.
    fn bind(&mut self, _own: &[usize], _layout: &Layout) {}
    /// Flow from the upstream to the downstream node, mL/s, for their pressures; writes the
    /// derivatives of the link's own states.
    fn flow(&self, p_up: f64, p_down: f64, y: &[f64], w: &Workspace, dy: &mut [f64]) -> f64;
    /// Signals this law reads besides its two pressures.
    fn reads(&self) -> Vec<Signal> {
        Vec::new()
    }
    /// Whether the link carries flow at all. An inactive link (a device switched off, a closed
    /// defect) without states is left out of the evaluation: its flow signal stays zero and it
    /// costs nothing.
    fn is_active(&self) -> bool {
        true
    }
}

/// A slow regulator: states, sensed signals, driven factors.
pub trait ControllerLaw {
    /// Its states, named from the controller's name.
    fn states(&self, name: &str) -> Vec<StateSpec>;
    /// Receives the positions of its own states (in the order declared).
    fn bind(&mut self, own: &[usize]);
    /// Receives the layout, for the states of other components it reads.
    fn bind_layout(&mut self, _layout: &Layout) {}
    /// The signals it drives (written by [`ControllerLaw::outputs`]).
    fn drives(&self) -> Vec<Signal>;
    /// The signals it senses (read by [`ControllerLaw::derivatives`]).
    fn senses(&self) -> Vec<Signal>;
    /// Writes its driven signals from its states (before any node or link is evaluated).
    fn outputs(&self, y: &[f64], w: &mut Workspace);
    /// Writes the derivatives of its states (after every link is evaluated).
    fn derivatives(&self, y: &[f64], w: &Workspace, dy: &mut [f64]);
    /// Moves its states that a step took past a limit its law holds them at back onto the
    /// limit (see `OdeSystem::project` of the engine); returns whether it changed `y`.
    fn project(&self, _y: &mut [f64]) -> bool {
        false
    }
}

/// A node of an assembled circuit: its law, the position of its volume and its pressure
/// signal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodeSlot<L> {
    pub(crate) law: L,
    pub(crate) volume: usize,
    pub(crate) pressure: Signal,
}

/// A link of an assembled circuit: its law, the pressure signals of its ends and its flow
/// signal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LinkSlot<L> {
    pub(crate) law: L,
    pub(crate) up: Signal,
    pub(crate) down: Signal,
    pub(crate) flow: Signal,
}

/// Declares the node kinds, in evaluation order (a node may read the pressure of a node of an
/// earlier kind, or of an earlier node of its own kind): a dispatch enum for the assembly and
/// one vector per kind for the evaluation, so the inner loop has no dispatch at all.
macro_rules! node_kinds {
    ($($field:ident: $kind:ident),* $(,)?) => {
        /// Every kind of node.
        #[derive(Debug, Clone, PartialEq)]
        pub enum NodeKind { $(#[allow(missing_docs)] $kind($kind),)* }
        $(impl From<$kind> for NodeKind { fn from(x: $kind) -> Self { NodeKind::$kind(x) } })*
        impl NodeKind {
            /// Position of this kind in the evaluation order.
            pub fn rank(&self) -> usize {
                let mut r = 0;
                $(if let NodeKind::$kind(_) = self { return r; } r += 1;)*
                r
            }
        }
        impl NodeLaw for NodeKind {
            fn pressure(&self, v: f64, w: &Workspace) -> f64 {
                match self { $(NodeKind::$kind(x) => x.pressure(v, w),)* }
            }
            fn volume_at(&self, p: f64) -> f64 {
                match self { $(NodeKind::$kind(x) => x.volume_at(p),)* }
            }
            fn reads(&self) -> Vec<Signal> {
                match self { $(NodeKind::$kind(x) => x.reads(),)* }
            }
        }
        /// The nodes of a circuit, one vector per kind.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub(crate) struct NodeSet { $(pub(crate) $field: Vec<NodeSlot<$kind>>,)* }
        impl NodeSet {
            /// Adds a node; returns its index within its kind.
            pub(crate) fn push(&mut self, law: NodeKind, volume: usize, pressure: Signal) -> usize {
                match law {
                    $(NodeKind::$kind(law) => {
                        self.$field.push(NodeSlot { law, volume, pressure });
                        self.$field.len() - 1
                    })*
                }
            }
            /// Writes every node's pressure, kind by kind.
            #[inline]
            pub(crate) fn evaluate(&self, y: &[f64], w: &mut Workspace) {
                $(for n in &self.$field {
                    let p = n.law.pressure(y[n.volume], w);
                    w[n.pressure] = p;
                })*
            }
        }
    };
}

/// Declares the link kinds: a dispatch enum for the assembly and one vector per kind for the
/// evaluation. Flows depend only on pressures and states, so their order of evaluation does not
/// matter; their accumulation into volumes follows the order in which links were added.
macro_rules! link_kinds {
    ($($field:ident: $kind:ident),* $(,)?) => {
        /// Every kind of link.
        #[derive(Debug, Clone, PartialEq)]
        pub enum LinkKind { $(#[allow(missing_docs)] $kind($kind),)* }
        $(impl From<$kind> for LinkKind { fn from(x: $kind) -> Self { LinkKind::$kind(x) } })*
        impl LinkLaw for LinkKind {
            fn states(&self, name: &str) -> Vec<StateSpec> {
                match self { $(LinkKind::$kind(x) => x.states(name),)* }
            }
            fn bind(&mut self, own: &[usize], layout: &Layout) {
                match self { $(LinkKind::$kind(x) => x.bind(own, layout),)* }
            }
            fn flow(&self, p_up: f64, p_down: f64, y: &[f64], w: &Workspace, dy: &mut [f64]) -> f64 {
                match self { $(LinkKind::$kind(x) => x.flow(p_up, p_down, y, w, dy),)* }
            }
            fn reads(&self) -> Vec<Signal> {
                match self { $(LinkKind::$kind(x) => x.reads(),)* }
            }
            fn is_active(&self) -> bool {
                match self { $(LinkKind::$kind(x) => x.is_active(),)* }
            }
        }
        /// The links of a circuit, one vector per kind.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub(crate) struct LinkSet { $(pub(crate) $field: Vec<LinkSlot<$kind>>,)* }
        impl LinkSet {
            /// Adds a link.
            pub(crate) fn push(&mut self, law: LinkKind, up: Signal, down: Signal, flow: Signal) {
                match law {
                    $(LinkKind::$kind(law) => self.$field.push(LinkSlot { law, up, down, flow }),)*
                }
            }
            /// Writes every link's flow and its own states' derivatives, kind by kind.
            #[inline]
            pub(crate) fn evaluate(&self, y: &[f64], w: &mut Workspace, dy: &mut [f64]) {
                $(for l in &self.$field {
                    let q = l.law.flow(w[l.up], w[l.down], y, w, dy);
                    w[l.flow] = q;
                })*
            }
        }
    };
}

/// See [`node_kinds!`].
macro_rules! controller_kinds {
    ($($kind:ident),* $(,)?) => {
        /// Every kind of controller, for dispatch without trait objects.
        #[derive(Debug, Clone, PartialEq)]
        pub enum ControllerKind { $(#[allow(missing_docs)] $kind($kind),)* }
        $(impl From<$kind> for ControllerKind { fn from(x: $kind) -> Self { ControllerKind::$kind(x) } })*
        impl ControllerLaw for ControllerKind {
            fn states(&self, name: &str) -> Vec<StateSpec> {
                match self { $(ControllerKind::$kind(x) => x.states(name),)* }
            }
            fn bind(&mut self, own: &[usize]) {
                match self { $(ControllerKind::$kind(x) => x.bind(own),)* }
            }
            fn bind_layout(&mut self, layout: &Layout) {
                match self { $(ControllerKind::$kind(x) => x.bind_layout(layout),)* }
            }
            fn drives(&self) -> Vec<Signal> {
                match self { $(ControllerKind::$kind(x) => x.drives(),)* }
            }
            fn senses(&self) -> Vec<Signal> {
                match self { $(ControllerKind::$kind(x) => x.senses(),)* }
            }
            #[inline]
            fn outputs(&self, y: &[f64], w: &mut Workspace) {
                match self { $(ControllerKind::$kind(x) => x.outputs(y, w),)* }
            }
            #[inline]
            fn derivatives(&self, y: &[f64], w: &Workspace, dy: &mut [f64]) {
                match self { $(ControllerKind::$kind(x) => x.derivatives(y, w, dy),)* }
            }
            #[inline]
            fn project(&self, y: &mut [f64]) -> bool {
                match self { $(ControllerKind::$kind(x) => x.project(y),)* }
            }
        }
    };
}

node_kinds!(chambers: Chamber, compliances: Compliance);
link_kinds!(
    valves: Valve,
    conduits: Conduit,
    aortic_segments: AorticSegment,
    resistances: Resistance,
    branch_arteries: BranchArtery,
    stenotic_arteries: StenoticArtery,
    waterfalls: Waterfall,
    orifices: Orifice,
    centrifugal_pumps: CentrifugalPump,
    impellas: Impella,
);
controller_kinds!(Autoregulation, Baroreflex, IschaemicTerritory);
