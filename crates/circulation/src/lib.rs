//! # counterpulse-circulation
//!
//! Closed-loop lumped-parameter (0D) model of the human circulation, in mmHg, mL and s,
//! assembled from components ([`components`]), one file each, in the reference circuit
//! ([`circuit`]), which reads like the diagram:
//!
//! * four chambers as time-varying elastances with exponential passive curves
//!   ([`components::Chamber`], Smith BW et al., Med Eng Phys 2004;26:131) driven by
//!   double-Hill activation curves ([`components::DoubleHill`], Stergiopulos 1996; Mynard 2012)
//!   whose time constants scale with √RR (Bazett), started by the rhythm's events;
//! * four valves with inertance, Bernoulli losses and opening/closing dynamics
//!   ([`components::Valve`], Mynard JP et al., Int J Numer Method Biomed Eng 2012;28:626), which
//!   give the aortic pressure its dicrotic notch and make regurgitation a parameter;
//! * aortic root/arch and descending thoracic aorta (which holds the balloon's gas) joined by
//!   resistance and inertance, abdominal/peripheral arteries, upper- and lower-body beds,
//!   systemic veins with an unstressed volume, pulmonary arteries and veins;
//! * the LAD coronary bed behind a Young–Tsai stenosis, compressed by the contracting LV, with a
//!   venous waterfall, autoregulation and a vasodilated replica for FFR;
//! * optional pieces: ventricular septal defect, VA-ECMO, an Impella-type microaxial pump, the
//!   arterial baroreflex.
//!
//! Parameters are addressed by dotted keys ([`CirculationParams`]); values and their sources are
//! in the preset files ([`presets`]). The parameter machinery itself is the small crate
//! [`counterpulse_params`], re-exported here as [`params`].
//!
//! See `docs/adding-a-component.md` in the repository for how to add a component.
#![deny(missing_docs)]

pub mod aortic_anatomy;
pub mod assembly;
pub mod circuit;
pub mod circulation;
pub mod components;
pub mod parameters;
pub mod presets;

pub use counterpulse_params as params;
pub use counterpulse_params::{ParamError, ParamSpec, Value, choice_param, param_group};

pub use assembly::{CircuitBuilder, Link, Node};
pub use circuit::{
    BALLOON_BLOCK, BALLOON_VOLUME_INPUT, BalloonShape, CircuitOptions, reference_circuit,
};
pub use circulation::Circulation;
pub use components::{Drive, Layout, Memory, Signal, StateRef};
pub use parameters::CirculationParams;

impl Circulation {
    /// The reference circuit of `params` without a baroreflex set point (the reflex is
    /// included only when a set point is given, see [`CircuitOptions`]).
    pub fn new(params: &CirculationParams) -> Result<Self, ParamError> {
        reference_circuit(params, CircuitOptions::default())
    }
}
