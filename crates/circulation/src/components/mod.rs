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
//! and add its name to the list in [`node_kinds!`], [`link_kinds!`] or [`controller_kinds!`]
//! below (the list generates the dispatch enum, so the inner loop has no dynamic dispatch).

pub mod activation;
pub mod autoregulation;
pub mod baroreflex;
pub mod centrifugal_pump;
pub mod chamber;
pub mod compliance;
pub mod conduit;
pub mod impella;
pub mod orifice;
pub mod resistance;
pub mod smooth;
pub mod stenosis;
pub mod tissue_pressure;
pub mod valve;
pub mod waterfall;

pub use activation::{DoubleHill, Drive, HeartActivation, HeartParams};
pub use autoregulation::Autoregulation;
pub use baroreflex::{Baroreflex, BaroreflexParams};
pub use centrifugal_pump::{CentrifugalPump, EcmoParams};
pub use chamber::{Chamber, ChamberParams};
pub use compliance::Compliance;
pub use conduit::Conduit;
pub use impella::{Impella, ImpellaParams};
pub use orifice::{Orifice, VsdParams};
pub use resistance::Resistance;
pub use smooth::{smooth_max, smooth_relu};
pub use stenosis::{Stenosis, StenoticArtery};
pub use tissue_pressure::TissuePressure;
pub use valve::{Valve, ValveParams};
pub use waterfall::Waterfall;

/// 1 mmHg in dyn/cm² (g·cm⁻¹·s⁻²).
pub const DYN_CM2_PER_MMHG: f64 = 1333.22;

/// A value of the circuit's evaluation workspace: a pressure, a flow, an activation, a device
/// input, a coupling or a controller's output. Handed out by the assembly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signal(pub(crate) usize);

impl Signal {
    /// Position in the workspace (and in [`crate::Circuit::signal_names`]).
    #[inline]
    pub fn index(self) -> usize {
        self.0
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
    /// is below `steady.tolerance × max(|y|, scale)`.
    pub steady_scale: f64,
}

/// A compartment's constitutive law: pressure from the blood volume it encloses.
pub trait NodeLaw {
    /// Pressure at enclosed blood volume `volume_ml`, reading its couplings from `w`, mmHg.
    fn pressure(&self, volume_ml: f64, w: &[f64]) -> f64;
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
    fn flow(&self, p_up: f64, p_down: f64, y: &[f64], w: &[f64], dy: &mut [f64]) -> f64;
    /// Signals this law reads besides its two pressures.
    fn reads(&self) -> Vec<Signal> {
        Vec::new()
    }
}

/// A slow regulator: states, sensed signals, driven factors.
pub trait ControllerLaw {
    /// Its states, named from the controller's name.
    fn states(&self, name: &str) -> Vec<StateSpec>;
    /// Receives the positions of its own states (in the order declared).
    fn bind(&mut self, own: &[usize]);
    /// The signals it drives (written by [`ControllerLaw::outputs`]).
    fn drives(&self) -> Vec<Signal>;
    /// The signals it senses (read by [`ControllerLaw::derivatives`]).
    fn senses(&self) -> Vec<Signal>;
    /// Writes its driven signals from its states (before any node or link is evaluated).
    fn outputs(&self, y: &[f64], w: &mut [f64]);
    /// Writes the derivatives of its states (after every link is evaluated).
    fn derivatives(&self, y: &[f64], w: &[f64], dy: &mut [f64]);
}

/// Declares a dispatch enum over the kinds of one role and forwards the role's trait to them.
macro_rules! node_kinds {
    ($($kind:ident),* $(,)?) => {
        /// Every kind of node, for dispatch without trait objects.
        #[derive(Debug, Clone, PartialEq)]
        pub enum NodeKind { $(#[allow(missing_docs)] $kind($kind),)* }
        $(impl From<$kind> for NodeKind { fn from(x: $kind) -> Self { NodeKind::$kind(x) } })*
        impl NodeLaw for NodeKind {
            #[inline]
            fn pressure(&self, v: f64, w: &[f64]) -> f64 {
                match self { $(NodeKind::$kind(x) => x.pressure(v, w),)* }
            }
            fn volume_at(&self, p: f64) -> f64 {
                match self { $(NodeKind::$kind(x) => x.volume_at(p),)* }
            }
            fn reads(&self) -> Vec<Signal> {
                match self { $(NodeKind::$kind(x) => x.reads(),)* }
            }
        }
    };
}

/// See [`node_kinds!`].
macro_rules! link_kinds {
    ($($kind:ident),* $(,)?) => {
        /// Every kind of link, for dispatch without trait objects.
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
            #[inline]
            fn flow(&self, p_up: f64, p_down: f64, y: &[f64], w: &[f64], dy: &mut [f64]) -> f64 {
                match self { $(LinkKind::$kind(x) => x.flow(p_up, p_down, y, w, dy),)* }
            }
            fn reads(&self) -> Vec<Signal> {
                match self { $(LinkKind::$kind(x) => x.reads(),)* }
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
            fn drives(&self) -> Vec<Signal> {
                match self { $(ControllerKind::$kind(x) => x.drives(),)* }
            }
            fn senses(&self) -> Vec<Signal> {
                match self { $(ControllerKind::$kind(x) => x.senses(),)* }
            }
            #[inline]
            fn outputs(&self, y: &[f64], w: &mut [f64]) {
                match self { $(ControllerKind::$kind(x) => x.outputs(y, w),)* }
            }
            #[inline]
            fn derivatives(&self, y: &[f64], w: &[f64], dy: &mut [f64]) {
                match self { $(ControllerKind::$kind(x) => x.derivatives(y, w, dy),)* }
            }
        }
    };
}

node_kinds!(Chamber, Compliance);
link_kinds!(
    Valve,
    Conduit,
    Resistance,
    StenoticArtery,
    Waterfall,
    Orifice,
    CentrifugalPump,
    Impella,
);
controller_kinds!(Autoregulation, Baroreflex);
